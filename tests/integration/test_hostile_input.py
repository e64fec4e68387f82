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
from superinsight.services.quality import settings as quality_settings
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.security import audit_log, networks, sign_in, users
from superinsight.services.security.audit_log import AuditFilter
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync.connections import SourceDraft
from superinsight.services.sync.jobs import JobDraft
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


# Each class of bad input, in several spellings, against every service that takes it.
# A refusal is a ServiceError that names the problem, on PostgreSQL and SQLite alike,
# and nothing is written: counts of every table a refusal could touch are unchanged.

NUL = ["\x00", "a\x00b", "\x00" * 3, "title\x00"]
SURROGATES = ["\ud800", "a\udfffb", "\udbff\udc00x\ud800"]  # lone high, lone low, a pair of lone halves
DEEP = 200


def _nested(depth: int, leaf: Any = "x") -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def _everything(resources: Resources) -> tuple[int, ...]:
    from superinsight.db.models import DataSource, IpWhitelist, SyncJob

    with resources.uow() as uow:
        return tuple(
            int(uow.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (AuditLog, BusinessRule, Document, User, DataSource, IpWhitelist, SyncJob)
        )


def _refused(resources: Resources, call: Callable[[], Any], *words: str) -> str:
    """The call is refused with a ServiceError naming the problem, and nothing was written."""
    before = _everything(resources)
    with pytest.raises(ServiceError) as refused:
        result = call()
        if hasattr(result, "__next__"):
            list(result)
    message = str(refused.value)
    assert not any(word in message.lower() for word in ("sqlalchemy", "psycopg", "sqlite3", "traceback"))
    assert any(word in message for word in words), message
    assert _everything(resources) == before
    return message


Call = Callable[[Resources, int], Any]


def _text_calls(bad: str) -> dict[str, Call]:
    """Every writer and filter that takes text, given the bad value in one place each."""
    strong = "Quiet-Harbour-Lantern-92"
    rule = {"==": [{"var": "title"}, "x"]}
    return {
        "document external id": lambda r, s: _upsert(r, s, DocumentInput(bad, "t", "c")),
        "document title": lambda r, s: _upsert(r, s, DocumentInput("e1", bad, "c")),
        "document content": lambda r, s: _upsert(r, s, DocumentInput("e1", "t", bad)),
        "document metadata value": lambda r, s: _upsert(r, s, DocumentInput("e1", "t", "c", {"k": bad})),
        "document metadata key": lambda r, s: _upsert(r, s, DocumentInput("e1", "t", "c", {bad: "v"})),
        "document tag": lambda r, s: _upsert(r, s, DocumentInput("e1", "t", "c", {}, [bad])),
        "rule name": lambda r, s: rule_commands.create_rule(r, ADMIN, RuleDraft(bad, rule)),
        "rule value": lambda r, s: rule_commands.create_rule(
            r, ADMIN, RuleDraft("r", {"==": [{"var": "title"}, bad]})
        ),
        "rule field": lambda r, s: rule_commands.create_rule(
            r, ADMIN, RuleDraft("r", {"==": [{"var": bad}, "x"]})
        ),
        "rule description": lambda r, s: rule_commands.create_rule(
            r, ADMIN, RuleDraft("r", rule, description=bad)
        ),
        "user email": lambda r, s: users.create_user(r, ADMIN, f"a{bad}@acme.example", strong, "viewer"),
        "user password": lambda r, s: users.create_user(
            r, ADMIN, "b@acme.example", f"Quiet-{bad}-Harbour-92", "viewer"
        ),
        "user full name": lambda r, s: users.create_user(
            r, ADMIN, "c@acme.example", strong, "viewer", full_name=bad
        ),
        "allow-list description": lambda r, s: networks.allow_network(r, ADMIN, "10.0.0.0/8", bad),
        "source name": lambda r, s: connections.create_source(
            r, ADMIN, SourceDraft(bad, "csv", {"path": "items.csv"})
        ),
        "job name": lambda r, s: sync_jobs.create_job(
            r, ADMIN, JobDraft(bad, s, mode="full_refresh_overwrite")
        ),
        "search text": lambda r, s: search.search(r, ADMIN, SearchQuery(text=bad)),
        "search tag": lambda r, s: search.search(r, ADMIN, SearchQuery(tags=(bad,))),
        "search metadata value": lambda r, s: search.search(r, ADMIN, SearchQuery(metadata=(("k", bad),))),
        "audit action": lambda r, s: audit_log.search(r, ADMIN, AuditFilter(action=bad)),
        "audit email": lambda r, s: audit_log.search(r, ADMIN, AuditFilter(user_email=bad)),
        "audit entity": lambda r, s: audit_log.search(r, ADMIN, AuditFilter(entity_type=bad)),
    }


def _upsert(resources: Resources, source_id: int, doc: DocumentInput) -> Any:
    return document_writer.upsert_documents(resources, ADMIN, source_id, [doc])


TEXT_CALLS = list(_text_calls(""))


@pytest.mark.parametrize("case", TEXT_CALLS)
@pytest.mark.parametrize("bad", NUL, ids=lambda v: v.encode("unicode_escape").decode())
def test_nul_is_refused_the_same_way_everywhere(workbench: Resources, case: str, bad: str) -> None:
    source_id = sources.list_sources(workbench, ADMIN)[0].id
    _refused(workbench, lambda: _text_calls(bad)[case](workbench, source_id), "NUL")


@pytest.mark.parametrize("case", TEXT_CALLS)
@pytest.mark.parametrize("bad", SURROGATES, ids=lambda v: v.encode("unicode_escape").decode())
def test_lone_surrogates_are_refused_the_same_way_everywhere(
    workbench: Resources, case: str, bad: str
) -> None:
    source_id = sources.list_sources(workbench, ADMIN)[0].id
    _refused(workbench, lambda: _text_calls(bad)[case](workbench, source_id), "surrogate", "Unicode")


# Values with a limit (a column's length, a form's); document content, metadata and tags
# may be long, and a rule may compare with a long value.
LIMITED = [
    c
    for c in TEXT_CALLS
    if not c.startswith(("document content", "document metadata", "document tag", "rule value", "rule field"))
]


@pytest.mark.parametrize("case", [f"long {c}" for c in LIMITED])
@pytest.mark.parametrize("length", [10_001, 100_000])
def test_over_length_values_are_refused_with_their_limit(
    workbench: Resources, case: str, length: int
) -> None:
    source_id = sources.list_sources(workbench, ADMIN)[0].id
    _refused(
        workbench,
        lambda: _text_calls("x" * length)[case.removeprefix("long ")](workbench, source_id),
        "longer",
        "at most",
        "characters",
        "1 to",
    )


def _deep_calls(depth: int) -> dict[str, Call]:
    return {
        "document metadata": lambda r, s: _upsert(r, s, DocumentInput("e1", "t", "c", _nested(depth))),
        "rule body": lambda r, s: rule_commands.create_rule(
            r, ADMIN, RuleDraft("deep", {"!": [_nested(depth, {"var": "title"})]})
        ),
        "rule test": lambda r, s: rule_testing.run_test(
            r, ADMIN, RuleDraft("deep", {"!": [_nested(depth, {"var": "title"})]})
        ),
        "upload": lambda r, s: uploads.import_documents(
            r,
            ADMIN,
            uploads.parse(
                "deep.jsonl",
                # spelled by hand: json.dumps itself recurses once per level
                (
                    '{"id": "1", "title": "t", "content": "c", "metadata": '
                    + '{"k": ' * depth
                    + '"x"'
                    + "}" * depth
                    + "}"
                ).encode(),
            ),
        ),
    }


@pytest.mark.parametrize("case", [f"deep {c}" for c in _deep_calls(1)])
@pytest.mark.parametrize("depth", [DEEP, 2000])
def test_deep_nesting_is_refused_before_any_store_sees_it(
    workbench: Resources, case: str, depth: int
) -> None:
    source_id = sources.list_sources(workbench, ADMIN)[0].id
    call = _deep_calls(depth)[case.removeprefix("deep ")]
    _refused(workbench, lambda: call(workbench, source_id), "deep", "nesting", "levels")


NOT_FINITE = [float("nan"), float("inf"), float("-inf")]


def _jsonl(metadata: str) -> bytes:
    return ('{"id": "1", "title": "t", "content": "c", "metadata": ' + metadata + "}\n").encode()


def _json_calls(bad: float) -> dict[str, Call]:
    """Every place a person supplies JSON (a rule, a computed step, a source's or quality's
    settings, metadata), given the non-finite number in one place each."""
    condition = {"==": [{"var": "metadata.x"}, bad]}
    step = {"type": "computed", "field": "total", "logic": {"+": [{"var": "price"}, bad]}}
    pages = {"type": "page", "size": bad}
    upload = f'{{"x": {"NaN" if bad != bad else "Infinity" if bad > 0 else "-Infinity"}}}'
    return {
        "rule body": lambda r, s: rule_commands.create_rule(r, ADMIN, RuleDraft("r", condition)),
        "rule test": lambda r, s: rule_testing.run_test(r, ADMIN, RuleDraft("r", condition)),
        "rule share": lambda r, s: rule_commands.create_rule(r, ADMIN, RuleDraft("r", condition, mostly=bad)),
        "computed step": lambda r, s: sync_jobs.create_job(
            r, ADMIN, JobDraft("j", s, mode="full_refresh_overwrite", steps=[step])
        ),
        "source settings": lambda r, s: connections.create_source(
            r, ADMIN, SourceDraft("s", "csv", {"path": "items.csv", "delimiter": bad})
        ),
        "http page size": lambda r, s: connections.create_source(
            r, ADMIN, SourceDraft("api", "http_json", {"url": "http://127.0.0.1:9/x", "pagination": pages})
        ),
        "http page size test": lambda r, s: connections.test_draft(
            r, ADMIN, SourceDraft("api", "http_json", {"url": "http://127.0.0.1:9/x", "pagination": pages})
        ),
        "quality expectations": lambda r, s: quality_settings.set_expectations(
            r, ADMIN, s, {"ranges": {"x": [bad, None]}}
        ),
        "document metadata": lambda r, s: _upsert(r, s, DocumentInput("e1", "t", "c", {"x": [bad]})),
        "upload": lambda r, s: uploads.import_documents(r, ADMIN, uploads.parse("nan.jsonl", _jsonl(upload))),
    }


@pytest.mark.parametrize("case", list(_json_calls(0.0)))
@pytest.mark.parametrize("bad", NOT_FINITE, ids=str)
def test_nan_and_infinity_are_refused_the_same_way_everywhere(
    workbench: Resources, case: str, bad: float
) -> None:
    source_id = sources.list_sources(workbench, ADMIN)[0].id
    call = _json_calls(bad)[case]
    _refused(workbench, lambda: call(workbench, source_id), "NaN or infinite", "pagination size", "numbers")


@pytest.mark.parametrize(
    ("pagination", "field"),
    [
        ({"type": "page", "size": "ten"}, "pagination size"),
        ({"type": "page", "size": 0}, "pagination size"),
        ({"type": "page", "size": True}, "pagination size"),
        ({"type": "page", "size": 10.5}, "pagination size"),
        ({"type": "offset", "start": -1}, "pagination start"),
        ({"type": "offset", "start": "0"}, "pagination start"),
        ({"type": "scroll"}, "pagination type"),
        ({"type": "next", "path": 5}, "pagination path"),
        ({"type": "page", "sise": 10}, "sise is not one of"),
        ("page", "pagination: an object"),
    ],
)
def test_bad_pagination_is_refused_naming_the_field(
    workbench: Resources, pagination: Any, field: str
) -> None:
    draft = SourceDraft("api", "http_json", {"url": "http://127.0.0.1:9/x", "pagination": pagination})
    assert field in _refused(workbench, lambda: connections.test_draft(workbench, ADMIN, draft), field)
    _refused(workbench, lambda: connections.create_source(workbench, ADMIN, draft), field)


def test_quality_settings_refuse_what_a_store_cannot_keep(workbench: Resources) -> None:
    source_id = sources.list_sources(workbench, ADMIN)[0].id
    allowed = {"allowed": {"region": ["EU\x00"]}}
    _refused(
        workbench, lambda: quality_settings.set_expectations(workbench, ADMIN, source_id, allowed), "NUL"
    )


def _many_calls(count: int) -> dict[str, Call]:
    tags = tuple(f"t{i}" for i in range(count))
    return {
        "search tags": lambda r, s: search.search(r, ADMIN, SearchQuery(tags=tags)),
        "search sources": lambda r, s: search.search(r, ADMIN, SearchQuery(source_ids=tuple(range(count)))),
        "search metadata": lambda r, s: search.search(
            r, ADMIN, SearchQuery(metadata=tuple((f"k{i}", "v") for i in range(count)))
        ),
        "facets tags": lambda r, s: facets.facets(r, ADMIN, SearchQuery(tags=tags)),
        "export tags": lambda r, s: "".join(export.export(r, ADMIN, SearchQuery(tags=tags), "csv")),
        "narrow a user": lambda r, s: users.limit_to_sources(r, ADMIN, 1, list(range(count))),
    }


@pytest.mark.parametrize("case", [f"many {c}" for c in _many_calls(1)])
@pytest.mark.parametrize("count", [101, 40_000])
def test_too_many_filter_values_are_refused_with_the_limit(
    workbench: Resources, case: str, count: int
) -> None:
    source_id = sources.list_sources(workbench, ADMIN)[0].id
    call = _many_calls(count)[case.removeprefix("many ")]
    _refused(workbench, lambda: call(workbench, source_id), "at most")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bad.jsonl", b'{"id": "1", "title": "t", "content": "\\u0000"}\n'),
        ("bad.jsonl", b'{"id": "1", "title": "t", "content": "\\ud800"}\n'),
        ("bad.jsonl", b'{"id": "' + b"x" * 5000 + b'", "title": "t", "content": "c"}\n'),
        ("bad.jsonl", b'{"id": "1", "title": "t", "content": "c", "metadata": {"k": [1, 2]}}\n'),
        ("bad.jsonl", b"[1, 2, 3]\n"),
        ("bad.jsonl", b'{"id": "1"\n'),
        ("bad.csv", b"id,title,body\n1,t,\x00\n"),
        ("bad.csv", b"id,title,body\n" + b"x" * 5000 + b",t,c\n"),
        ("bad\x00.csv", b"id,title,body\n1,t,c\n"),
        ("bad\ud800.md", b"# hello"),
        ("bad.md", b"\xff\xfe\x00\x00"),
        ("bad.txt", b"\x00\x00"),
        ("bad.csv", b"nothing,like,the columns\n1,t,c\n"),
        ("bad.exe", b"MZ"),
    ],
)
def test_a_refused_upload_leaves_nothing_behind(workbench: Resources, name: str, data: bytes) -> None:
    fresh = build_resources(workbench.settings)  # a workspace with no Uploads source yet
    try:
        before = _everything(fresh)

        def upload() -> None:
            parsed = uploads.parse(name, data, id_column="id", title_column="title", content_column="body")
            uploads.import_documents(fresh, ADMIN, parsed)

        with pytest.raises(ServiceError):
            upload()
        assert _everything(fresh) == before
    finally:
        fresh.close()
