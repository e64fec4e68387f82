"""Every source of the workspace in one list, deleting one, and files sent from the browser: both stores."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from superinsight.db.models import AuditLog, DataSource, Document, SyncExecution, SyncJob
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.services.context import Actor, role_actor
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.writer import documents_version, upsert_documents
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.sync import catalogue, connections
from superinsight.services.sync.connections import SourceDraft

TENANT = "acme"
ADMIN = role_actor(TENANT, "admin")
ANALYST = role_actor(TENANT, "analyst")
VIEWER = role_actor(TENANT, "viewer")


def _count(resources: Resources, model: type, *where: object) -> int:
    with resources.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _source(resources: Resources, name: str, source_type: str, documents: int) -> int:
    source_id = ensure_source(resources.uow(), ADMIN, name, source_type)
    if documents:
        upsert_documents(
            resources,
            ADMIN,
            source_id,
            [DocumentInput(f"{name}-{n}", f"t{n}", "c") for n in range(documents)],
        )
    return source_id


def _run(resources: Resources, source_id: int, status: str) -> None:
    with resources.uow() as uow:
        job = SyncJob(tenant_id=TENANT, source_id=source_id, name=f"job {source_id} {status}")
        uow.session.add(job)
        uow.session.flush()
        uow.session.add(SyncExecution(tenant_id=TENANT, job_id=job.id, status=status))
        uow.commit()


@pytest.fixture
def workspace(resources: Resources) -> dict[str, int]:
    ids = {
        "Uploads": _source(resources, "Uploads", "upload", 3),
        "Demo desk": _source(resources, "Demo desk", "jsonl", 2),
        "Empty": _source(resources, "Empty", "csv", 0),
    }
    _run(resources, ids["Demo desk"], "failed")
    _run(resources, ids["Demo desk"], "succeeded")
    return ids


def test_every_source_is_listed_with_what_it_holds_and_its_newest_run(
    resources: Resources, workspace: dict[str, int]
) -> None:
    listed = {row.name: row for row in catalogue.catalogue(resources, VIEWER)}
    assert list(listed) == ["Demo desk", "Empty", "Uploads"]
    summary = {name: (r.source_type, r.documents, r.jobs, r.last_sync_status) for name, r in listed.items()}
    assert summary == {
        "Demo desk": ("jsonl", 2, 2, "succeeded"),
        "Empty": ("csv", 0, 0, None),
        "Uploads": ("upload", 3, 0, None),
    }
    assert listed["Demo desk"].last_sync is not None and listed["Uploads"].last_sync is None


def test_a_user_narrowed_to_some_sources_lists_only_those(
    resources: Resources, workspace: dict[str, int]
) -> None:
    narrowed = replace(ANALYST, source_ids=frozenset({workspace["Uploads"]}))
    assert [row.name for row in catalogue.catalogue(resources, narrowed)] == ["Uploads"]


def _before(resources: Resources) -> tuple[int, ...]:
    return tuple(
        _count(resources, model) for model in (DataSource, Document, SyncJob, SyncExecution, AuditLog)
    )


@pytest.mark.parametrize("typed", ["", "demo desk", "Demo", "Demo desk!", "Uploads"])
def test_deleting_needs_the_name_typed_back_and_a_wrong_one_deletes_nothing(
    resources: Resources, workspace: dict[str, int], typed: str
) -> None:
    before = _before(resources)
    with pytest.raises(InvalidInputError, match="type the source's name, 'Demo desk'"):
        catalogue.delete_source(resources, ANALYST, workspace["Demo desk"], typed)
    assert _before(resources) == before


@pytest.mark.parametrize(
    ("actor", "refused"),
    [
        (VIEWER, "may not add and change data sources"),
        (replace(ANALYST, source_ids=frozenset({1})), "limited to some sources"),
    ],
)
def test_readers_and_narrowed_users_cannot_delete(
    resources: Resources, workspace: dict[str, int], actor: Actor, refused: str
) -> None:
    before = _before(resources)
    with pytest.raises(PermissionDeniedError, match=refused):
        catalogue.delete_source(resources, actor, workspace["Demo desk"], "Demo desk")
    assert _before(resources) == before


def test_deleting_removes_its_documents_jobs_and_runs_and_is_audited(
    resources: Resources, workspace: dict[str, int]
) -> None:
    clock = documents_version(resources, TENANT)
    assert catalogue.delete_source(resources, ANALYST, workspace["Demo desk"], " Demo desk ") == 2
    assert [row.name for row in catalogue.catalogue(resources, ADMIN)] == ["Empty", "Uploads"]
    assert (_count(resources, Document), _count(resources, SyncJob), _count(resources, SyncExecution)) == (
        3,
        0,
        0,
    )
    assert documents_version(resources, TENANT) > clock, "figures cached for the old documents are stale"
    with resources.uow() as uow:
        entry = uow.session.scalars(select(AuditLog).where(AuditLog.action == "source.delete")).one()
    assert entry.before == {"name": "Demo desk", "type": "jsonl", "documents": 2}


class TestSentFiles:
    def test_a_sent_file_is_kept_in_the_workspace_folder_and_a_source_reads_it(
        self, resources: Resources
    ) -> None:
        path = catalogue.store_sent_file(
            resources, ANALYST, "crm export.csv", b"id,title,body\n1,One,Alpha\n"
        )
        assert path == "sent/crm export.csv"
        stored = resources.settings.effective_files_root / TENANT / path
        assert stored.read_bytes() == b"id,title,body\n1,One,Alpha\n"
        assert oct(stored.parent.stat().st_mode & 0o777) == "0o700"
        source_id = connections.create_source(resources, ANALYST, SourceDraft("CRM", "csv", {"path": path}))
        assert "1" in connections.test_source(resources, ANALYST, source_id)

    @pytest.mark.parametrize(
        ("name", "kept_as"),
        [
            ("../../../etc/x.csv", "sent/x.csv"),
            ("..\\..\\x.jsonl", "sent/x.jsonl"),
            ("a/b/c.ndjson", "sent/c.ndjson"),
        ],
    )
    def test_a_path_in_the_name_is_dropped(self, resources: Resources, name: str, kept_as: str) -> None:
        assert catalogue.store_sent_file(resources, ANALYST, name, b'{"id": 1}\n') == kept_as
        root = resources.settings.effective_files_root
        assert [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()] == [
            f"{TENANT}/{kept_as}"
        ]

    @pytest.mark.parametrize(
        ("name", "data", "refused"),
        [
            ("x.exe", b"MZ", "send a .csv, .jsonl or .ndjson file"),
            (".csv", b"a", "send a .csv"),
            ("x\x00.csv", b"a", "NUL"),
            ("x\ud800.csv", b"a", "surrogate"),
            ("x.csv", b"  \n", "is empty"),
            ("x.csv", b"a" * (catalogue.MAX_SENT_BYTES + 1), "at most 52,428,800 may be sent"),
        ],
    )
    def test_a_refused_file_says_why_and_leaves_nothing(
        self, resources: Resources, name: str, data: bytes, refused: str
    ) -> None:
        before = _count(resources, AuditLog)
        with pytest.raises(InvalidInputError, match=refused):
            catalogue.store_sent_file(resources, ANALYST, name, data)
        root: Path = resources.settings.effective_files_root
        assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]
        assert _count(resources, AuditLog) == before

    def test_readers_cannot_send_files(self, resources: Resources) -> None:
        with pytest.raises(PermissionDeniedError):
            catalogue.store_sent_file(resources, VIEWER, "x.csv", b"id\n1\n")
        assert not os.path.exists(resources.settings.effective_files_root / TENANT / "sent")
