"""Hostile strings everywhere a user can type: refused cleanly or handled, never a crash, never a leak."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from superinsight.db.models import AuditLog, BusinessRule, Document, User
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources, build_resources
from superinsight.services.context import system_actor
from superinsight.services.documents import export, facets, search, sources, uploads
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.search import SearchQuery
from superinsight.services.errors import AuthenticationError, ServiceError
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.security import audit_log, networks, sign_in, users
from superinsight.services.security.audit_log import AuditFilter
from tests.conftest import make_settings

NASTY = [
    "'; DROP TABLE documents; --",
    '" OR 1=1 --',
    "%_\\",
    "\x00",
    "\u202e\u0000",
    "a" * 5000,
    "=HYPERLINK(1)",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\ud7ff",
    "NaN",
    "-0",
]
hostile = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | hostile,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile, inner, max_size=2),
    max_leaves=10,
)
ADMIN = system_actor("acme")


@pytest.fixture
def workbench(db_url: str, tmp_path: Path) -> Iterator[Resources]:
    built = build_resources(make_settings(tmp_path, db_url))
    sources.ensure_source(built.uow(), ADMIN, "Tickets", "csv")
    yield built
    built.close()


def _counts(resources: Resources) -> tuple[int, ...]:
    with resources.uow() as uow:
        return tuple(
            int(uow.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (AuditLog, BusinessRule, Document, User)
        )


def _refused_or_done(resources: Resources, call: Callable[[], Any]) -> None:
    """A service either does the work or refuses with a ServiceError and writes nothing."""
    before = _counts(resources)
    try:
        call()
    except ServiceError as exc:
        assert "sqlalchemy" not in str(exc).lower() and "psycopg" not in str(exc).lower()
        assert _counts(resources) == before
    except ValueError as exc:  # the few pure-domain refusals (e.g. a demo of one document)
        assert _counts(resources) == before, exc


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(name=hostile, description=hostile, body=json_values)
def test_rule_drafts(workbench: Resources, name: str, description: str, body: Any) -> None:
    draft = RuleDraft(name=name, body=body, description=description)
    _refused_or_done(workbench, lambda: rule_testing.run_test(workbench, ADMIN, draft))
    _refused_or_done(workbench, lambda: rule_commands.create_rule(workbench, ADMIN, draft))


@SETTINGS
@given(workspace=hostile, email=hostile, password=hostile)
def test_sign_in_and_accounts(workbench: Resources, workspace: str, email: str, password: str) -> None:
    audits, rules, documents, people = _counts(workbench)
    with pytest.raises(AuthenticationError) as refused:
        sign_in.sign_in(workbench, workspace, email, password, "127.0.0.1")
    assert str(refused.value) == sign_in.WRONG_CREDENTIALS or str(refused.value).startswith("Too many")
    # A refused sign-in is audited (when its workspace can be named) and changes nothing else.
    assert _counts(workbench) in ((audits, rules, documents, people), (audits + 1, rules, documents, people))
    _refused_or_done(workbench, lambda: users.create_user(workbench, ADMIN, email, password, "viewer"))
    _refused_or_done(workbench, lambda: networks.allow_network(workbench, ADMIN, email))


@SETTINGS
@given(action=hostile, email=hostile, entity=hostile)
def test_audit_search_and_export(workbench: Resources, action: str, email: str, entity: str) -> None:
    filters = AuditFilter(action=action, user_email=email, entity_type=entity)
    _refused_or_done(workbench, lambda: audit_log.search(workbench, ADMIN, filters))
    _refused_or_done(workbench, lambda: "".join(audit_log.export_csv(workbench, ADMIN, filters)))


@SETTINGS
@given(
    records=st.lists(
        st.tuples(hostile, hostile, hostile, st.dictionaries(hostile, json_values, max_size=3)),
        min_size=1,
        max_size=5,
    )
)
def test_document_batches(workbench: Resources, records: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    docs = [DocumentInput(ext, title, content, meta) for ext, title, content, meta in records]
    source_id = sources.list_sources(workbench, ADMIN)[0].id
    _refused_or_done(workbench, lambda: document_writer.upsert_documents(workbench, ADMIN, source_id, docs))


@SETTINGS
@given(text=hostile, field=hostile, value=hostile, tag=hostile, cursor=hostile)
def test_search_and_export(
    workbench: Resources, text: str, field: str, value: str, tag: str, cursor: str
) -> None:
    query = SearchQuery(text=text, metadata=((field, value),), tags=(tag,))
    _refused_or_done(workbench, lambda: search.search(workbench, ADMIN, query))
    _refused_or_done(
        workbench, lambda: search.search(workbench, ADMIN, SearchQuery(text=text), cursor=cursor)
    )
    _refused_or_done(workbench, lambda: facets.facets(workbench, ADMIN, SearchQuery(text=text)))
    _refused_or_done(
        workbench, lambda: "".join(export.export(workbench, ADMIN, SearchQuery(text=text), "csv"))
    )


@SETTINGS
@given(name=hostile, data=st.binary(max_size=400) | hostile.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_uploads(workbench: Resources, name: str, data: bytes) -> None:
    for suffix in (".csv", ".jsonl", ".md", ""):

        def parse_and_import(suffix: str = suffix) -> None:
            parsed = uploads.parse(
                name + suffix, data, id_column="id", title_column="title", content_column="body"
            )
            if parsed.documents:
                uploads.import_documents(workbench, ADMIN, parsed)

        _refused_or_done(workbench, parse_and_import)
