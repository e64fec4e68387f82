"""Labeling end to end against the real Label Studio the test command starts (and without one)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from label_studio_sdk import LabelStudio
from sqlalchemy import func, select

from superinsight.adapters.labelstudio import LabelStudioAnnotator
from superinsight.db.models import Annotation, AuditLog, BillingRecord, LabelingProject, Task
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources, build_resources
from superinsight.services.context import Actor, role_actor
from superinsight.services.documents import search
from superinsight.services.documents import views as document_views
from superinsight.services.documents.search import SearchQuery
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.writer import upsert_documents
from superinsight.services.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from superinsight.services.jobs import job_status
from superinsight.services.labeling import launch as labeling_launch
from superinsight.services.labeling import pull as labeling_pull
from superinsight.services.labeling import push as labeling_push
from superinsight.services.labeling import quality as labeling_quality
from superinsight.services.labeling import views as labeling_views
from superinsight.services.labeling.connection import LabelingUnavailableError, connection_state
from superinsight.services.labeling.launch import LaunchRequest
from superinsight.services.labeling.selection import Selection
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules.drafts import RuleDraft
from tests.conftest import make_settings

ACME = role_actor("acme", "analyst", user_id=None)
ADMIN = role_actor("acme", "admin")
EVIL = role_actor("evil", "analyst")
ANNOTATOR = role_actor("acme", "annotator")
REFUND = {"in": ["refund", {"var": "content"}]}


def _seed(resources: Resources, n: int = 50, start: int = 0) -> None:
    source = ensure_source(resources.uow(), ACME, "Tickets", "database")
    upsert_documents(
        resources,
        ACME,
        source,
        [
            DocumentInput(f"T{i}", f"Ticket {i}", "refund please" if i % 5 == 0 else "all good", {})
            for i in range(start, start + n)
        ],
    )


def _wait(resources: Resources, job_id: str) -> str:
    deadline = time.monotonic() + 120
    while not (status := job_status(resources, job_id)).done and time.monotonic() < deadline:
        time.sleep(0.05)
    return status.state if status.error is None else f"{status.state}: {status.error}"


def _count(resources: Resources, model: Any, *where: Any) -> int:
    with resources.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _labelstudio_id(resources: Resources, project_id: int) -> int:
    with resources.uow() as uow:
        return int(uow.session.get(LabelingProject, project_id).labelstudio_project_id)  # type: ignore[union-attr]


@pytest.fixture
def connected(db_url: str, tmp_path: Path, label_studio: tuple[str, str]) -> Iterator[Resources]:
    url, token = label_studio
    built = build_resources(make_settings(tmp_path, db_url, label_studio_url=url, label_studio_api_key=token))
    yield built
    built.close()


@pytest.fixture
def connected_sqlite(sqlite_url: str, tmp_path: Path, label_studio: tuple[str, str]) -> Iterator[Resources]:
    url, token = label_studio
    built = build_resources(
        make_settings(tmp_path, sqlite_url, label_studio_url=url, label_studio_api_key=token)
    )
    yield built
    built.close()


@pytest.fixture
def client(label_studio: tuple[str, str]) -> LabelStudio:
    url, token = label_studio
    return LabelStudio(base_url=url, api_key=token)


def _launch(resources: Resources, request: LaunchRequest, actor: Actor = ACME) -> int:
    project_id, job_id = labeling_launch.launch(resources, actor, request)
    assert _wait(resources, job_id) == "finished"
    return project_id


def _annotate(client: LabelStudio, task_id: int, choice: str, lead_time: float) -> int:
    created = client.annotations.create(
        id=task_id,
        result=[{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [choice]}}],
        lead_time=lead_time,
    )
    assert created.id is not None
    return int(created.id)


def _pull(resources: Resources, project_id: int) -> labeling_pull.PullResult:
    job_id = labeling_pull.start_pull(resources, ACME, project_id)
    assert _wait(resources, job_id) == "finished"
    return labeling_pull.pull_annotations(resources, ACME, project_id)


class TestLaunchAndPull:
    def test_launch_annotate_pull_repull_and_bill(self, connected: Resources, client: LabelStudio) -> None:
        _seed(connected)
        request = LaunchRequest("Triage", "classification", Selection(), ("refund", "other"))
        project_id = _launch(connected, request)
        ls_id = _labelstudio_id(connected, project_id)
        exported = connected.annotator.export_tasks(ls_id)
        assert len(exported) == 50
        with connected.uow() as uow:
            recorded = {t.labelstudio_task_id: t.document_id for t in uow.session.scalars(select(Task))}
        assert recorded == {task["id"]: task["data"]["document_id"] for task in exported}
        by_document = {document_id: task_id for task_id, document_id in recorded.items()}
        first, second, third = sorted(by_document)[:3]
        edited = _annotate(client, by_document[first], "refund", 12.5)
        _annotate(client, by_document[second], "other", 3.0)
        _annotate(client, by_document[third], "refund", 4.5)

        # The job pulled them; pulling again finds nothing new.
        assert _pull(connected, project_id) == labeling_pull.PullResult(0, 0, 0, 3)
        assert _count(connected, Annotation) == 3
        assert document_views.get_document(connected, ACME, first).annotations[0].labels == ["refund"]
        assert labeling_views.document_labels(connected, ACME, second) == ["other"]
        labelled_refund = RuleDraft("Labelled refund", {">=": [{"var": "labels.refund"}, 1]})
        report = rule_testing.run_test(connected, ACME, labelled_refund)
        assert (report.matched, report.engine) == (2, "database")
        assert {sample.document_id for sample in report.samples} == {first, third}
        # By hand: the rule (content has "refund") matches the first only; humans said refund to first
        # and third, other to second: 1 true positive, 1 missed (third), 1 true negative.
        rule = rule_commands.create_rule(connected, ACME, RuleDraft("Refunds", REFUND))
        score = labeling_quality.rule_against_labels(connected, ACME, rule.id, "refund")
        assert (score.precision, score.recall, score.missed, score.wrongly_matched) == (
            1.0,
            0.5,
            (third,),
            (),
        )
        assert labeling_quality.label_names_in_use(connected, ACME) == ["other", "refund"]
        labelled = search.search(connected, ACME, SearchQuery(labels=("refund", "nothing_like_it")))
        assert {hit.id for hit in labelled.hits} == {first, third}
        with pytest.raises(InvalidInputError, match="letters, digits and _"):
            search.search(connected, ACME, SearchQuery(labels=("x' OR 1=1 --",)))

        client.annotations.update(
            id=edited,
            result=[
                {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["other"]}}
            ],
        )
        assert labeling_pull.pull_annotations(connected, ACME, project_id) == labeling_pull.PullResult(
            0, 1, 0, 2
        )
        assert labeling_views.document_labels(connected, ACME, first) == ["other"]
        assert rule_testing.run_test(connected, ACME, labelled_refund).matched == 1
        assert _count(connected, Annotation) == 3

        [billed] = labeling_views.billing_summary(connected, ADMIN)
        assert (billed.project, billed.items, billed.seconds) == ("Triage", 3, 20.0)
        assert billed.annotator == "admin@example.com"
        assert _count(connected, BillingRecord) == 1
        csv = "".join(labeling_views.billing_csv(connected, ADMIN)).splitlines()
        assert csv[0] == "project,annotator,items,seconds,period_start,period_end"
        assert csv[1].startswith("Triage,admin@example.com,3,20.0,")

        [view] = labeling_views.list_projects(connected, ACME)
        assert (view.tasks, view.done, view.status) == (50, 3, "ready")
        assert view.per_annotator == {"admin@example.com": 3}
        assert view.url is not None and view.url.endswith(f"/projects/{ls_id}/data")
        assert _count(connected, AuditLog, AuditLog.action == "labeling.launch") == 1
        assert _count(connected, AuditLog, AuditLog.action == "labeling.pull") == 1

    @pytest.mark.parametrize(
        ("template", "classes", "control"),
        [
            ("classification", ("spam", "ham"), "Choices"),
            ("entities", ("PERSON", "ORG"), "Labels"),
            ("sentiment", (), "Choices"),
            ("custom", (), "Rating"),
        ],
    )
    def test_each_template_launches_fifty_documents(
        self,
        connected_sqlite: Resources,
        client: LabelStudio,
        template: str,
        classes: tuple[str, ...],
        control: str,
    ) -> None:
        _seed(connected_sqlite)
        custom = (
            '<View><Text name="text" value="$text"/><Rating name="r" toName="text" maxRating="5"/></View>'
        )
        project_id = _launch(
            connected_sqlite, LaunchRequest(f"{template} run", template, Selection(), classes, custom)
        )
        ls_id = _labelstudio_id(connected_sqlite, project_id)
        project = client.projects.get(id=ls_id)
        assert project.task_number == 50
        assert f"<{control} " in (project.label_config or "")
        assert all(name in (project.label_config or "") for name in classes)

    def test_a_sample_is_the_same_for_the_same_seed(self, connected_sqlite: Resources) -> None:
        _seed(connected_sqlite)
        selection = Selection(SearchQuery(), sample=10, seed=7)
        first = _launch(connected_sqlite, LaunchRequest("Sample A", "sentiment", selection))
        second = _launch(connected_sqlite, LaunchRequest("Sample B", "sentiment", selection))
        with connected_sqlite.uow() as uow:
            documents = {
                p: sorted(uow.session.scalars(select(Task.document_id).where(Task.project_id == p)))
                for p in (first, second)
            }
        assert len(documents[first]) == 10 and documents[first] == documents[second]


class TestAgreement:
    def test_two_annotators_agreement_matches_a_hand_count(
        self, connected_sqlite: Resources, client: LabelStudio
    ) -> None:
        _seed(connected_sqlite, n=5)
        request = LaunchRequest("Twice", "classification", Selection(), ("refund", "other"))
        project_id = _launch(connected_sqlite, request)
        with connected_sqlite.uow() as uow:
            tasks = sorted(uow.session.scalars(select(Task.labelstudio_task_id)))
        users = {user.email: user.id for user in client.users.list()}
        second = (
            users.get("second@example.com")
            or client.users.create(username="second", email="second@example.com").id
        )
        answers = [("refund", "refund"), ("other", "other"), ("refund", "other")]
        for task_id, (mine, theirs) in zip(tasks[:3], answers, strict=True):
            _annotate(client, task_id, mine, 1.0)
            client.annotations.create(
                id=task_id,
                result=[
                    {
                        "from_name": "label",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": [theirs]},
                    }
                ],
                completed_by=second,
            )
        labeling_pull.pull_annotations(connected_sqlite, ACME, project_id)
        # Coincidences: refund-refund 2, other-other 2, refund-other 1 each way; n 6, 3 of each:
        # alpha = 1 - (6 - 1) * 2 / (2 * 3 * 3).
        result = labeling_quality.project_agreement(connected_sqlite, ACME, project_id)
        assert (result.annotators, result.items) == (2, 3)
        assert result.alpha == pytest.approx(1 - 5 * 2 / 18, abs=1e-4)
        billed = {row.annotator: row.items for row in labeling_views.billing_summary(connected_sqlite, ADMIN)}
        assert billed == {"admin@example.com": 3, "second@example.com": 3}


class TestEntities:
    def test_entity_labels_are_listed_per_document_for_the_graph(
        self, connected_sqlite: Resources, client: LabelStudio
    ) -> None:
        _seed(connected_sqlite, n=3)
        project_id = _launch(
            connected_sqlite, LaunchRequest("People", "entities", Selection(), ("PERSON", "ORG"))
        )
        with connected_sqlite.uow() as uow:
            rows = uow.session.execute(select(Task.document_id, Task.labelstudio_task_id))
            tasks = {doc_id: task_id for doc_id, task_id in rows}
        first = min(tasks)
        region = {"start": 0, "end": 3, "text": "ref", "labels": ["ORG"]}
        client.annotations.create(
            id=tasks[first],
            result=[{"from_name": "entities", "to_name": "text", "type": "labels", "value": region}],
        )
        labeling_pull.pull_annotations(connected_sqlite, ACME, project_id)
        listed = labeling_views.project_documents(connected_sqlite, ACME, project_id)
        assert listed == [(doc_id, ["ORG: ref"] if doc_id == first else []) for doc_id in sorted(tasks)]
        with pytest.raises(NotFoundError):
            labeling_views.project_documents(connected_sqlite, EVIL, project_id)


class TestRetriesAndExtensions:
    def test_an_interrupted_launch_is_retried_without_duplicate_tasks(
        self, connected_sqlite: Resources, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _seed(connected_sqlite)
        real = connected_sqlite.annotator
        assert isinstance(real, LabelStudioAnnotator)
        calls = []

        class DiesAfterTheThirdBatch(LabelStudioAnnotator):
            """The real Label Studio; the process 'dies' after Label Studio took the third batch."""

            def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
                created = real.import_tasks(project_id, tasks)
                calls.append(len(created))
                if len(calls) == 3:
                    raise ConnectionError("worker killed")
                return created

        monkeypatch.setattr(labeling_push, "PUSH_BATCH", 10)
        dying = object.__new__(DiesAfterTheThirdBatch)
        dying.__dict__.update(real.__dict__)
        connected_sqlite.annotator = dying
        project_id, job_id = labeling_launch.launch(
            connected_sqlite, ACME, LaunchRequest("Retry", "sentiment", Selection())
        )
        assert _wait(connected_sqlite, job_id).startswith("failed")
        with connected_sqlite.uow() as uow:
            project = uow.session.get(LabelingProject, project_id)
            assert project is not None and project.status == "failed"
            assert "20 sent; retry sends the rest" in (project.error or "")
        assert _count(connected_sqlite, Task, Task.labelstudio_task_id.is_not(None)) == 20

        connected_sqlite.annotator = real
        added, job_id = labeling_launch.add_to_project(connected_sqlite, ACME, project_id, new_matches=False)
        assert added == 0 and _wait(connected_sqlite, job_id) == "finished"
        exported = real.export_tasks(_labelstudio_id(connected_sqlite, project_id))
        documents = [task["data"]["document_id"] for task in exported]
        assert len(documents) == 50 and len(set(documents)) == 50
        assert _count(connected_sqlite, Task, Task.labelstudio_task_id.is_not(None)) == 50

    def test_adding_new_matches_pushes_only_what_is_not_there(self, connected_sqlite: Resources) -> None:
        _seed(connected_sqlite, n=20)
        selection = Selection(SearchQuery(text="refund"))
        project_id = _launch(connected_sqlite, LaunchRequest("Refunds", "sentiment", selection))
        assert _count(connected_sqlite, Task) == 4
        _seed(connected_sqlite, n=10, start=20)
        added, job_id = labeling_launch.add_to_project(connected_sqlite, ACME, project_id, new_matches=True)
        assert added == 2 and _wait(connected_sqlite, job_id) == "finished"
        again, job_id = labeling_launch.add_to_project(connected_sqlite, ACME, project_id, new_matches=True)
        assert again == 0 and _wait(connected_sqlite, job_id) == "finished"
        assert (
            len(connected_sqlite.annotator.export_tasks(_labelstudio_id(connected_sqlite, project_id))) == 6
        )

    def test_a_rule_launch_sends_its_verdict_as_predictions(
        self, connected_sqlite: Resources, client: LabelStudio
    ) -> None:
        _seed(connected_sqlite, n=20)
        rule = rule_commands.create_rule(connected_sqlite, ACME, RuleDraft("Refunds", REFUND))
        request = LaunchRequest(
            "Rule check", "classification", Selection(rule_id=rule.id), ("refund", "other")
        )
        project_id = _launch(connected_sqlite, request)
        exported = connected_sqlite.annotator.export_tasks(_labelstudio_id(connected_sqlite, project_id))
        assert len(exported) == 4
        for task in exported:
            [prediction] = client.predictions.list(task=task["id"])
            assert prediction.result[0]["value"] == {"choices": ["refund"]}
            assert "refund" in task["data"]["text"]


class TestRefusals:
    def test_not_connected_says_how_and_writes_nothing(self, resources: Resources) -> None:
        _seed(resources, n=5)
        told = {actor.role: connection_state(resources, actor) for actor in (ADMIN, ACME, ANNOTATOR)}
        assert not any(state.connected for state in told.values())
        assert "LABEL_STUDIO_URL" in told["admin"].message, "who deploys it is told how"
        assert {told[role].message for role in ("analyst", "annotator")} == {
            "Label Studio is not connected. Ask an admin to connect it."
        }
        with pytest.raises(LabelingUnavailableError, match="LABEL_STUDIO_URL"):
            labeling_launch.launch(resources, ACME, LaunchRequest("X", "sentiment", Selection()))
        assert _count(resources, LabelingProject) == _count(resources, Task) == 0
        assert _count(resources, AuditLog, AuditLog.action.like("labeling.%")) == 0
        assert labeling_views.list_projects(resources, ACME) == []

    def test_a_bad_token_is_named_and_nothing_is_written(
        self, sqlite_url: str, tmp_path: Path, label_studio: tuple[str, str]
    ) -> None:
        url, _ = label_studio
        bad = build_resources(
            make_settings(tmp_path, sqlite_url, label_studio_url=url, label_studio_api_key="0" * 40)
        )
        try:
            _seed(bad, n=5)
            assert "API key was refused" in connection_state(bad, ACME).message
            with pytest.raises(LabelingUnavailableError, match="API key was refused"):
                labeling_launch.launch(bad, ACME, LaunchRequest("X", "sentiment", Selection()))
            assert _count(bad, LabelingProject) == _count(bad, Task) == 0
        finally:
            bad.close()

    def test_an_unreachable_server_is_named_and_nothing_is_written(
        self, sqlite_url: str, tmp_path: Path
    ) -> None:
        down = build_resources(
            make_settings(
                tmp_path, sqlite_url, label_studio_url="http://127.0.0.1:9", label_studio_api_key="k" * 40
            )
        )
        try:
            _seed(down, n=5)
            with pytest.raises(LabelingUnavailableError, match="could not be reached"):
                labeling_launch.launch(down, ACME, LaunchRequest("X", "sentiment", Selection()))
            assert _count(down, LabelingProject) == _count(down, Task) == 0
        finally:
            down.close()

    @pytest.mark.parametrize(
        ("request_", "message"),
        [
            (LaunchRequest("X", "custom", Selection(), (), "<View><script>1</script></View>"), "<script>"),
            (LaunchRequest("X", "classification", Selection(), ()), "at least one class"),
            (LaunchRequest(" ", "sentiment", Selection()), "title"),
            (
                LaunchRequest("X", "sentiment", Selection(SearchQuery(text="nothing-matches-this"))),
                "no documents",
            ),
            (LaunchRequest("X", "sentiment", Selection(sample=0)), "between 1 and"),
        ],
    )
    def test_bad_requests_are_refused_before_label_studio_is_asked(
        self, connected_sqlite: Resources, client: LabelStudio, request_: LaunchRequest, message: str
    ) -> None:
        _seed(connected_sqlite, n=5)
        before = len(list(client.projects.list()))
        with pytest.raises(InvalidInputError, match=message):
            labeling_launch.launch(connected_sqlite, ACME, request_)
        assert _count(connected_sqlite, LabelingProject) == _count(connected_sqlite, Task) == 0
        assert len(list(client.projects.list())) == before

    def test_roles_and_tenants_are_kept_apart(self, connected_sqlite: Resources) -> None:
        _seed(connected_sqlite, n=5)
        project_id = _launch(connected_sqlite, LaunchRequest("Mine", "sentiment", Selection()))
        with pytest.raises(PermissionDeniedError):
            labeling_launch.launch(
                connected_sqlite, role_actor("acme", "viewer"), LaunchRequest("X", "sentiment", Selection())
            )
        with pytest.raises(PermissionDeniedError):
            labeling_views.billing_summary(connected_sqlite, ACME)
        with pytest.raises(NotFoundError):
            labeling_pull.start_pull(connected_sqlite, EVIL, project_id)
        assert labeling_views.list_projects(connected_sqlite, EVIL) == []
        narrowed = Actor("acme", None, "analyst", None, ACME.permissions, frozenset({999}))
        assert labeling_views.list_projects(connected_sqlite, narrowed) == []
        # An annotator sees only the projects they are a member of (test_labeling_members).
        assert labeling_views.list_projects(connected_sqlite, role_actor("acme", "annotator")) == []
