"""Rules end to end on both stores: versions, tests before saving, apply runs and what they teach."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from superinsight.db import dialect
from superinsight.db.models import (
    AuditLog,
    BusinessInsight,
    BusinessLogicAnalysisHistory,
    BusinessLogicNotification,
    BusinessPattern,
    BusinessRule,
    BusinessRuleApplication,
    Document,
    QualityIssue,
)
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.services.context import Actor, role_actor
from superinsight.services.documents import views as document_views
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.writer import upsert_documents
from superinsight.services.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from superinsight.services.insights import views as insight_views
from superinsight.services.jobs import job_status
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import counting
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules import views as rule_views
from superinsight.services.rules.drafts import RuleDraft, RuleInputError
from tests.integration.slow import slow_statement

ACME = role_actor("acme", "analyst")
EVIL = role_actor("evil", "analyst")
HIGH_VALUE = {">": [{"var": "metadata.amount"}, 1000]}


def _seed(resources: Resources, actor: Actor = ACME, n: int = 40) -> int:
    source = ensure_source(resources.uow(), actor, "Contracts", "database")
    docs = [
        DocumentInput(
            f"C{i}",
            f"Contract {i}",
            "refund requested" if i % 10 == 0 else "all good",
            {
                "amount": i * 100,
                "region": "EMEA" if i % 2 else "NA",
                "end_date": None if i % 8 == 0 else "2027-01-01",
            },
        )
        for i in range(n)
    ]
    upsert_documents(resources, actor, source, docs)
    return source


def _count(resources: Resources, model: Any, *where: Any) -> int:
    with resources.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class TestAuthoring:
    def test_every_edit_is_a_new_version_with_a_diff(self, resources: Resources) -> None:
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("High value", HIGH_VALUE))
        edited = rule_commands.update_rule(
            resources, ACME, rule.id, RuleDraft("High value", {">": [{"var": "metadata.amount"}, 2000]})
        )
        assert (rule.version, edited.version) == (1, 2)
        history = rule_views.versions(resources, ACME, rule.id)
        assert [version for version, _, _ in history] == [2, 1]
        changes = rule_views.diff(history[1][2], history[0][2])
        assert any(line.startswith("-") and "1000" in line for line in changes)
        assert any(line.startswith("+") and "2000" in line for line in changes)

    def test_saving_the_same_draft_adds_no_version(self, resources: Resources) -> None:
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Same", HIGH_VALUE))
        again = rule_commands.update_rule(resources, ACME, rule.id, RuleDraft("Same", HIGH_VALUE))
        assert again.version == 1
        assert len(rule_views.versions(resources, ACME, rule.id)) == 1

    def test_a_refused_draft_writes_nothing_and_says_where(self, resources: Resources) -> None:
        _seed(resources)
        audits = _count(resources, AuditLog)
        with pytest.raises(RuleInputError) as refused:
            rule_commands.create_rule(
                resources,
                ACME,
                RuleDraft("", {">": [{"var": "metadata.amout"}, 1]}, mostly=1.5, severity="huge"),
            )
        text = "\n".join(refused.value.problems)
        assert "name:" in text and "severity:" in text and "mostly:" in text
        assert "did you mean 'metadata.amount'" in text
        assert _count(resources, BusinessRule) == 0
        assert _count(resources, AuditLog) == audits

    def test_names_are_unique_per_tenant(self, resources: Resources) -> None:
        rule_commands.create_rule(resources, ACME, RuleDraft("Dup", HIGH_VALUE))
        with pytest.raises(RuleInputError, match="already exists"):
            rule_commands.create_rule(resources, ACME, RuleDraft("Dup", HIGH_VALUE))
        rule_commands.create_rule(resources, EVIL, RuleDraft("Dup", HIGH_VALUE))

    def test_other_tenants_rules_are_invisible(self, resources: Resources) -> None:
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Mine", HIGH_VALUE))
        assert rule_views.list_rules(resources, EVIL) == []
        with pytest.raises(NotFoundError):
            rule_commands.update_rule(resources, EVIL, rule.id, RuleDraft("Stolen", HIGH_VALUE))
        with pytest.raises(NotFoundError):
            rule_commands.delete_rule(resources, EVIL, rule.id)

    def test_disable_enable_and_delete_are_audited(self, resources: Resources) -> None:
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Toggle", HIGH_VALUE))
        assert not rule_commands.set_active(resources, ACME, rule.id, False).is_active
        rule_commands.set_active(resources, ACME, rule.id, True)
        rule_commands.delete_rule(resources, ACME, rule.id)
        with resources.uow() as uow:
            actions = uow.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions[-4:] == ["rule.create", "rule.disable", "rule.enable", "rule.delete"]


class TestBeforeSaving:
    def test_counts_samples_and_reasons_from_the_database(self, resources: Resources) -> None:
        _seed(resources)
        report = rule_testing.run_test(resources, ACME, RuleDraft("t", HIGH_VALUE), sample_size=3)
        assert (report.total, report.matched, report.engine) == (40, 29, "database")
        assert report.rate == pytest.approx(29 / 40)
        assert len(report.samples) == 3
        assert report.samples[0].reasons == ["✓ metadata.amount (3900) > 1000"]

    def test_rules_sql_cannot_express_run_row_by_row_with_the_same_answer(self, resources: Resources) -> None:
        _seed(resources)
        body = {">": [{"+": [{"var": "metadata.amount"}, 0]}, 1000]}
        report = rule_testing.run_test(resources, ACME, RuleDraft("t", body))
        assert (report.matched, report.engine) == (29, "row by row")
        assert report.evaluated is None, "every document was read: the counts are exact"

    def test_row_by_row_reads_only_the_newest_documents_and_says_so(
        self, resources: Resources, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _seed(resources)  # C0..C39, amount = 100 * i: C11..C39 are over 1000
        monkeypatch.setattr(counting, "ROW_BY_ROW_LIMIT", 10)
        body = {">": [{"+": [{"var": "metadata.amount"}, 0]}, 1500]}  # no SQL form: C16..C39 match
        report = rule_testing.run_test(resources, ACME, RuleDraft("t", body, mostly=0.3), sample_size=3)
        assert (report.total, report.evaluated, report.matched) == (40, 10, 10), "the newest ten, C30..C39"
        # Judged on the rate read, carried over all forty: none of the ten passes, so none of forty
        # would (of all forty 16 do, which mostly=0.3 accepts: the full count is the job's).
        assert report.rate == 1.0 and report.outcome == "fail"
        assert [sample.title for sample in report.samples] == ["Contract 39", "Contract 38", "Contract 37"]

    def test_compares_with_the_saved_version(self, resources: Resources) -> None:
        _seed(resources)
        saved = rule_commands.create_rule(resources, ACME, RuleDraft("Compare", HIGH_VALUE))
        wider = RuleDraft("Compare", {">": [{"var": "metadata.amount"}, 500]})
        report = rule_testing.run_test(resources, ACME, wider, compare_with=saved.id)
        assert (report.gained, report.lost) == (5, 0)

    def test_thresholds_decide_the_outcome(self, resources: Resources) -> None:
        _seed(resources)
        assert (
            rule_testing.run_test(resources, ACME, RuleDraft("t", HIGH_VALUE, warn_after=30)).outcome
            == "pass"
        )
        assert (
            rule_testing.run_test(resources, ACME, RuleDraft("t", HIGH_VALUE, warn_after=10)).outcome
            == "warn"
        )
        assert (
            rule_testing.run_test(resources, ACME, RuleDraft("t", HIGH_VALUE, mostly=0.9)).outcome == "fail"
        )

    def test_a_rule_without_thresholds_has_no_verdict_and_its_run_no_warning(
        self, resources: Resources
    ) -> None:
        _seed(resources)
        draft = RuleDraft("Plain", HIGH_VALUE)
        report = rule_testing.run_test(resources, ACME, draft)
        assert report.matched > 0 and report.outcome is None
        rule = rule_commands.create_rule(resources, ACME, draft)
        assert _apply(resources, rule.id).outcome is None
        with resources.uow() as uow:
            titles = list(uow.session.scalars(select(BusinessLogicNotification.title)))
        assert not any("warns" in title for title in titles), titles
        (summary,) = [s for s in rule_views.list_rules(resources, ACME) if s.rule.id == rule.id]
        assert (summary.last_outcome, summary.last_matched) == (None, report.matched)
        assert summary.last_applied is not None

    def test_the_rule_list_carries_each_rules_last_runs_only_oldest_first(self, resources: Resources) -> None:
        source = _seed(resources)
        high = rule_commands.create_rule(resources, ACME, RuleDraft("High", HIGH_VALUE))
        other = rule_commands.create_rule(resources, ACME, RuleDraft("Other", HIGH_VALUE))
        _apply(resources, other.id)
        matched = []
        for extra in range(5):  # one more high-value contract before each run
            upsert_documents(
                resources, ACME, source, [DocumentInput(f"X{extra}", "x", "x", {"amount": 9000})]
            )
            matched.append(_apply(resources, high.id).matched)
        assert matched == sorted(matched) and len(set(matched)) == 5
        summaries = {s.rule.draft.name: s for s in rule_views.list_rules(resources, ACME, history=3)}
        assert summaries["High"].match_history == matched[-3:]
        assert summaries["High"].last_matched == matched[-1]
        assert len(summaries["Other"].match_history) == 1, "another rule's runs are its own"

    def test_a_source_filter_narrows_the_test(self, resources: Resources) -> None:
        _seed(resources)
        other = ensure_source(resources.uow(), ACME, "Other", "csv")
        upsert_documents(resources, ACME, other, [DocumentInput("X", "x", "x", {"amount": 5000})])
        assert (
            rule_testing.run_test(resources, ACME, RuleDraft("t", HIGH_VALUE), source_ids=[other]).matched
            == 1
        )


def _apply(resources: Resources, rule_id: int) -> rule_apply.ApplyResult:
    with resources.uow() as uow:
        run = BusinessLogicAnalysisHistory(tenant_id="acme", rule_id=rule_id, analysis_type="apply")
        uow.session.add(run)
        uow.commit()
        run_id = run.id
    return rule_apply.apply_rule(resources, ACME, rule_id, run_id)


class TestApply:
    def test_a_run_of_another_rule_or_tenant_is_not_found_and_left_alone(self, resources: Resources) -> None:
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("High value", HIGH_VALUE))
        other = rule_commands.create_rule(resources, ACME, RuleDraft("Other", HIGH_VALUE))
        theirs = role_actor("globex", "analyst")
        globex_rule = rule_commands.create_rule(resources, theirs, RuleDraft("Theirs", HIGH_VALUE))
        runs = {
            "another rule's": rule_apply.new_run(resources, ACME, other.id),
            "another tenant's": rule_apply.new_run(resources, theirs, globex_rule.id),
        }
        for whose, run_id in runs.items():
            with pytest.raises(NotFoundError, match=f"apply run {run_id} of rule {rule.id}"):
                rule_apply.apply_rule(resources, ACME, rule.id, run_id)
            with resources.uow() as uow:
                run = uow.session.get(BusinessLogicAnalysisHistory, run_id)
                assert run is not None and run.status == "running", whose
        assert _count(resources, BusinessRuleApplication) == 0

    def test_a_finished_run_is_not_run_again_and_a_narrowed_user_applies_nothing(
        self, resources: Resources
    ) -> None:
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("High value", HIGH_VALUE))
        done = _apply(resources, rule.id)
        narrowed = dataclasses.replace(ACME, source_ids=frozenset({1}))
        pending = rule_apply.new_run(resources, ACME, rule.id)

        def state() -> tuple[Any, ...]:
            with resources.uow() as uow:
                runs = uow.session.execute(
                    select(
                        BusinessLogicAnalysisHistory.status, BusinessLogicAnalysisHistory.results_summary
                    ).order_by(BusinessLogicAnalysisHistory.id)
                ).all()
            return (_count(resources, BusinessRuleApplication), tuple(map(tuple, runs)))

        before = state()
        with pytest.raises(InvalidInputError, match=f"apply run {done.analysis_id} has completed"):
            rule_apply.apply_rule(resources, ACME, rule.id, done.analysis_id)
        with pytest.raises(PermissionDeniedError, match="every document"):
            rule_apply.apply_rule(resources, narrowed, rule.id, pending)
        assert state() == before

    def test_records_matches_and_is_safe_to_rerun(self, resources: Resources) -> None:
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("High value", HIGH_VALUE))
        first, second = _apply(resources, rule.id), _apply(resources, rule.id)
        assert first.matched == second.matched == 29
        assert _count(resources, BusinessRuleApplication) == 29

    def test_stored_matches_can_be_browsed_per_version(self, resources: Resources) -> None:
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Browse", HIGH_VALUE))
        assert rule_views.matched_documents(resources, ACME, rule.id) == []
        _apply(resources, rule.id)
        matches = rule_views.matched_documents(resources, ACME, rule.id, limit=5)
        assert [m.external_id for m in matches] == ["C39", "C38", "C37", "C36", "C35"]
        with pytest.raises(NotFoundError):
            rule_views.matched_documents(resources, EVIL, rule.id)

    def test_row_by_row_rules_record_the_same_matches(self, resources: Resources) -> None:
        _seed(resources)
        body = {">": [{"+": [{"var": "metadata.amount"}, 0]}, 1000]}
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Computed", body))
        result = _apply(resources, rule.id)
        assert (result.matched, result.engine) == (29, "row by row")
        assert _count(resources, BusinessRuleApplication) == 29

    def test_validation_rules_raise_one_issue_per_failing_document(self, resources: Resources) -> None:
        _seed(resources)
        body = {"!": {"var": "metadata.end_date"}}
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("End date", body, action="quality_issue"))
        _apply(resources, rule.id)
        _apply(resources, rule.id)
        assert _count(resources, QualityIssue, QualityIssue.rule_id == rule.id) == 5
        with resources.uow() as uow:
            failing = uow.session.scalar(select(Document.id).where(Document.external_id == "C0"))
            assert failing is not None
            uow.session.execute(
                update(QualityIssue).where(QualityIssue.document_id == failing).values(status="resolved")
            )
            uow.commit()
        _apply(resources, rule.id)
        unresolved = QualityIssue.status != "resolved"
        assert _count(resources, QualityIssue, QualityIssue.rule_id == rule.id) == 6, (
            "failing again: a new one"
        )
        assert _count(resources, QualityIssue, QualityIssue.rule_id == rule.id, unresolved) == 5
        detail = document_views.get_document(resources, ACME, failing)
        assert (detail.matched_rules, detail.open_issues) == (["End date"], ["End date"])

    def test_tag_rules_tag_their_matches_once_and_keep_the_content_hash(self, resources: Resources) -> None:
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Big deal", HIGH_VALUE, action="tag"))
        with resources.uow() as uow:
            hashes = dict(uow.session.execute(select(Document.external_id, Document.content_hash)).all())
        _apply(resources, rule.id)
        _apply(resources, rule.id)
        with resources.uow() as uow:
            rows = uow.session.execute(
                select(Document.external_id, Document.tags, Document.content_hash)
            ).all()
        tagged = {external_id for external_id, tags, _ in rows if tags == ["Big deal"]}
        assert len(tagged) == 29 and "C39" in tagged and "C5" not in tagged
        assert all(tags in ([], ["Big deal"]) for _, tags, _ in rows)
        assert {external_id: digest for external_id, _, digest in rows} == hashes

    def test_a_finish_failed_by_a_deadlock_runs_again_and_tags_and_audits_once(
        self, resources: Resources, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PostgreSQL fails one of two deadlocked writers (a sync upserting the same source): the
        whole last step, tagging included, is rolled back and done again."""
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Big deal", HIGH_VALUE, action="tag"))
        tag_matches, failed = rule_apply.actions.tag_matches, []

        def deadlocked_once(session: Any, *args: Any) -> int:
            tagged = tag_matches(session, *args)
            if not failed:
                failed.append(tagged)
                raise OperationalError("UPDATE documents", {}, DeadlockDetected("deadlock detected"))
            return tagged

        monkeypatch.setattr(rule_apply.actions, "tag_matches", deadlocked_once)
        result = _apply(resources, rule.id)
        assert failed == [29] and result.matched == 29
        with resources.uow() as uow:
            tags = uow.session.scalars(select(Document.tags)).all()
            audited = uow.session.scalar(select(func.count()).where(AuditLog.action == "rule.tag"))
            runs = uow.session.scalars(
                select(BusinessLogicAnalysisHistory.status).where(
                    BusinessLogicAnalysisHistory.rule_id == rule.id
                )
            ).all()
        assert sum(tag == ["Big deal"] for tag in tags) == 29 and audited == 1 and runs == ["completed"]

    def test_a_new_version_is_applied_afresh(self, resources: Resources) -> None:
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Versioned", HIGH_VALUE))
        _apply(resources, rule.id)
        rule_commands.update_rule(
            resources, ACME, rule.id, RuleDraft("Versioned", {">": [{"var": "metadata.amount"}, 3000]})
        )
        assert _apply(resources, rule.id).matched == 9
        with resources.uow() as uow:
            per_version = dict(
                uow.session.execute(
                    select(BusinessRuleApplication.rule_version, func.count()).group_by(
                        BusinessRuleApplication.rule_version
                    )
                ).all()
            )
        assert per_version == {1: 29, 2: 9}

    def test_learns_insights_patterns_and_notifies(self, resources: Resources) -> None:
        _seed(resources)
        never = rule_commands.create_rule(
            resources, ACME, RuleDraft("Never", {"==": [{"var": "title"}, "nothing"]})
        )
        _apply(resources, never.id)
        refund = rule_commands.create_rule(
            resources, ACME, RuleDraft("Refund", {"contains": [{"var": "content"}, "REFUND"]}, warn_after=1)
        )
        _apply(resources, refund.id)
        with resources.uow() as uow:
            insights = set(uow.session.scalars(select(BusinessInsight.insight_type)))
            notes = set(uow.session.scalars(select(BusinessLogicNotification.notification_type)))
            patterns = uow.session.scalars(select(BusinessPattern.description)).all()
        assert "rule_never_matches" in insights
        assert {"insight_generated", "rule_change"} <= notes
        assert any("metadata.region = NA" in pattern for pattern in patterns)

    def test_a_finding_that_recurs_is_one_card_and_stays_acknowledged(self, resources: Resources) -> None:
        _seed(resources)
        never = rule_commands.create_rule(
            resources, ACME, RuleDraft("Never", {"==": [{"var": "title"}, "nothing"]})
        )
        _apply(resources, never.id)
        (card,) = insight_views.insights(resources, ACME)
        insight_views.acknowledge(resources, ACME, card.id)
        _apply(resources, never.id)
        _apply(resources, never.id)
        assert insight_views.insights(resources, ACME) == []
        (kept,) = insight_views.insights(resources, ACME, include_acknowledged=True)
        assert (kept.id, kept.acknowledged) == (card.id, True)
        with resources.uow() as uow:
            told = uow.session.scalar(
                select(func.count())
                .select_from(BusinessLogicNotification)
                .where(BusinessLogicNotification.notification_type == "insight_generated")
            )
        assert told == 1

    def test_a_shift_in_match_rate_becomes_an_insight(self, resources: Resources) -> None:
        source = _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("High value", HIGH_VALUE))
        _apply(resources, rule.id)
        upsert_documents(
            resources,
            ACME,
            source,
            [DocumentInput(f"N{i}", "n", "n", {"amount": 9999}) for i in range(20)],
        )
        _apply(resources, rule.id)
        with resources.uow() as uow:
            titles = uow.session.scalars(
                select(BusinessInsight.title).where(BusinessInsight.insight_type == "match_rate_shift")
            ).all()
        assert titles == ["“High value” match rate rose to 81.7%"]

    def test_runs_as_a_background_job_with_progress(self, resources: Resources) -> None:
        _seed(resources)
        rule = rule_commands.create_rule(resources, ACME, RuleDraft("Job", HIGH_VALUE))
        run_id, job_id = rule_apply.start_apply(resources, ACME, rule.id)
        deadline = time.monotonic() + 30
        while not job_status(resources, job_id).done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job_status(resources, job_id).state == "finished"
        summary = rule_views.list_rules(resources, ACME)[0]
        assert (summary.last_matched, summary.match_history) == (29, [29])
        with resources.uow() as uow:
            run = uow.session.get(BusinessLogicAnalysisHistory, run_id)
            assert run is not None and run.status == "completed" and run.execution_time_ms is not None

    def test_a_failed_run_is_marked_failed_with_its_error(self, resources: Resources) -> None:
        someone_elses = rule_commands.create_rule(resources, EVIL, RuleDraft("Theirs", HIGH_VALUE))
        with pytest.raises(NotFoundError):
            _apply(resources, someone_elses.id)
        with resources.uow() as uow:
            run = uow.session.scalars(select(BusinessLogicAnalysisHistory)).one()
        assert run.status == "failed" and f"rule {someone_elses.id} does not exist" in (
            run.error_message or ""
        )
        assert _count(resources, BusinessRuleApplication) == 0


class TestTimeLimits:
    def test_a_statement_past_its_limit_is_stopped_and_recognised(self, resources: Resources) -> None:
        started = time.monotonic()
        with resources.uow() as uow:
            with pytest.raises(OperationalError) as stopped, dialect.time_limited(uow.session, 0.2):
                slow_statement(uow.session)
            assert dialect.timed_out(stopped.value)
        assert time.monotonic() - started < 4

    def test_a_rule_test_past_its_limit_says_so_and_saves_nothing(
        self, resources: Resources, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _seed(resources)
        monkeypatch.setattr(rule_testing, "TEST_SECONDS", 0.2)
        monkeypatch.setattr(counting, "in_sql", lambda session, *args: slow_statement(session))
        before = _count(resources, BusinessRule)
        with pytest.raises(InvalidInputError, match="took longer than 0 s and was stopped"):
            rule_testing.run_test(resources, ACME, RuleDraft("t", HIGH_VALUE))
        assert _count(resources, BusinessRule) == before
