"""Sources as an attacker uses them: a SELECT that writes, saved credentials sent elsewhere, an address
that resolves twice, the workbench's own database. Each refusal leaves everything as it was."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from superinsight.db.models import AuditLog, DataSource
from superinsight.resources import Resources, build_resources
from superinsight.services.context import role_actor
from superinsight.services.errors import InvalidInputError
from superinsight.services.sync import connections
from superinsight.sync.connectors import ReadSpec, SourceError
from superinsight.sync.connectors import address as address_module
from superinsight.sync.connectors import database as database_module
from superinsight.sync.connectors import http as http_module
from superinsight.sync.connectors.select_text import SelectTextError, check_select
from tests.conftest import make_settings
from tests.integration.local_http import RecordingApi, serving
from tests.integration.test_sync import database_job, run_job

ADMIN = role_actor("demo", "admin", user_id=None)
ANALYST = role_actor("demo", "analyst", user_id=None)


class Victim:
    """The customer's database with a table an attack would like to change."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with self.engine.connect() as connection:
            connection.execute(text("CREATE TABLE items (id integer PRIMARY KEY, title text NOT NULL)"))
            connection.execute(text("CREATE SEQUENCE items_seq"))
            connection.execute(text("INSERT INTO items SELECT n, 'item ' || n FROM generate_series(1, 5) n"))

    def state(self) -> tuple[int, list[str], int]:
        """Rows in items, the tables there are, and the sequence's position: what a write would move."""
        with self.engine.connect() as connection:
            rows = connection.scalar(text("SELECT count(*) FROM items"))
            tables = connection.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            ).all()
            sequence = connection.scalar(
                text("SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM items_seq")
            )
        return int(rows or 0), list(tables), int(sequence or 0)


@pytest.fixture
def victim(empty_pg_url: str) -> Iterator[Victim]:
    db = Victim(empty_pg_url)
    yield db
    db.engine.dispose()


@pytest.fixture
def res(db_url: str, tmp_path: Path) -> Iterator[Resources]:
    built = build_resources(make_settings(tmp_path, db_url, sync_allow_internal=True, sync_follow_ups=False))
    yield built
    built.close()


def _written(res: Resources) -> tuple[int, int]:
    with res.uow() as uow:
        return (
            int(uow.session.scalar(select(func.count()).select_from(DataSource)) or 0),
            int(uow.session.scalar(select(func.count()).select_from(AuditLog)) or 0),
        )


WRITING_QUERIES = [
    "SELECT 1; DELETE FROM items",
    "SELECT * FROM items; COMMIT; DROP TABLE items",
    "SELECT 1) AS x; DELETE FROM items; SELECT * FROM (SELECT 1",
    "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d",
    "SELECT * INTO stolen FROM items",
    "SELECT nextval('items_seq')",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT '\\'; DELETE FROM items; --'",
    "SELECT E'\\''; DELETE FROM items; --'",
    "SELECT 1 --\n; DELETE FROM items",
    "SELECT $$;$$; CREATE TABLE made (x int)",
    "SELECT 1 /* /* */ */; DELETE FROM items",
    "END; DELETE FROM items; SELECT 1",
]


@pytest.mark.parametrize("query", WRITING_QUERIES)
def test_a_writing_query_is_refused_by_test_and_save_and_writes_nothing(
    res: Resources, victim: Victim, query: str
) -> None:
    before, written = victim.state(), _written(res)
    draft = connections.SourceDraft("Shop", "database", {"query": query}, {"url": victim.url})
    with pytest.raises(InvalidInputError):
        connections.test_draft(res, ANALYST, draft)
    with pytest.raises(InvalidInputError):
        connections.create_source(res, ANALYST, draft)
    assert victim.state() == before
    assert _written(res) == written


# A session setting changes nothing on the server by itself: the text check alone refuses it.
SERVER_REFUSED = [query for query in WRITING_QUERIES if "set_config" not in query]


@pytest.mark.parametrize("query", SERVER_REFUSED)
def test_the_server_refuses_the_write_even_when_the_text_check_is_bypassed(
    res: Resources, victim: Victim, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text check is the first lock of three: one statement, and a read-only transaction, hold alone."""
    monkeypatch.setattr(database_module, "check_select", lambda text: text.strip().rstrip(";"))
    before = victim.state()
    draft = connections.SourceDraft("Shop", "database", {"query": query}, {"url": victim.url})
    with pytest.raises(InvalidInputError):
        connections.test_draft(res, ANALYST, draft)
    assert victim.state() == before


def test_a_query_saved_before_the_check_existed_fails_its_sync_and_writes_nothing(
    res: Resources, victim: Victim
) -> None:
    job_id = database_job(res, ANALYST, victim.url)
    with res.uow() as uow:
        source = uow.session.scalars(select(DataSource)).one()
        source.connection_config = {"query": "SELECT * FROM items; DELETE FROM items"}
        uow.commit()
    before = victim.state()
    run = run_job(res, ANALYST, job_id)
    assert run.status == "failed"
    assert "exactly one statement" in (run.error_message or "")
    assert victim.state() == before


def test_a_plain_select_still_reads(res: Resources, victim: Victim) -> None:
    draft = connections.SourceDraft(
        "Shop", "database", {"query": "SELECT id, title FROM items -- the whole table"}, {"url": victim.url}
    )
    assert connections.test_draft(res, ANALYST, draft).startswith("connected; 5 rows, fields: id, title")


FRAGMENTS = [
    "SELECT 1", " ", "'", "\\", "E", "$$", "$a$", "a$a", "--", "\n", "/*", "*/", ";", '"', "#", "x",
    " DELETE FROM items", " CREATE TABLE made (x int)", " COMMIT", "/*!", ",",
]  # fmt: skip


def test_what_the_check_accepts_never_holds_a_second_statement_for_postgresql(victim: Victim) -> None:
    """Differential: PostgreSQL's own lexer reads each accepted text, sent over the simple protocol
    (which runs every statement it holds) and committed; the items table must never change."""
    ran: list[str] = []
    conninfo = make_url(victim.url).set(drivername="postgresql").render_as_string(hide_password=False)
    before = victim.state()

    @settings(max_examples=1500, suppress_health_check=list(HealthCheck), deadline=None)
    @given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12))
    def probe(parts: list[str]) -> None:
        try:
            query = check_select("SELECT 1 " + "".join(parts))
        except SelectTextError:
            return
        ran.append(query)
        with psycopg.connect(conninfo, autocommit=True) as connection, suppress(psycopg.Error):
            connection.execute(query.encode())  # no parameters: the simple protocol, which runs them all
        assert victim.state() == before, query

    probe()
    assert len(ran) >= 100, f"only {len(ran)} accepted texts reached PostgreSQL"
    assert victim.state() == before


# Saved credentials go only where they were saved for -------------------------------------


@pytest.fixture
def api() -> Iterator[int]:
    RecordingApi.seen = []
    with serving(RecordingApi) as port:
        yield port


def _saved(res: Resources, source_id: int) -> tuple[dict[str, Any], bytes | None]:
    with res.uow() as uow:
        source = uow.session.get(DataSource, source_id)
        assert source is not None
        return dict(source.connection_config), source.encrypted_credentials


@pytest.mark.parametrize(
    "new_url",
    [
        "http://127.0.0.2:{port}/items",
        "http://127.0.0.1:{other}/items",
        "http://localhost:{port}/items",
        "http://127.0.0.1:{port}/items?to=elsewhere",
        "http://127.0.0.1:{port}/other",
        "https://127.0.0.1:{port}/items",
    ],
)
def test_changing_an_http_address_needs_the_credentials_again(res: Resources, api: int, new_url: str) -> None:
    url = f"http://127.0.0.1:{api}/items"
    source_id = connections.create_source(
        res,
        ADMIN,
        connections.SourceDraft("API", "http_json", {"url": url}, {"Authorization": "Bearer admin"}),
    )
    saved, written = _saved(res, source_id), _written(res)
    moved = connections.SourceDraft("API", "http_json", {"url": new_url.format(port=api, other=api + 1)})
    with pytest.raises(InvalidInputError, match="enter the credentials again"):
        connections.update_source(res, ANALYST, source_id, moved)
    assert _saved(res, source_id) == saved
    assert _written(res) == written
    retyped = connections.SourceDraft(
        moved.name, moved.source_type, moved.config, {"Authorization": "Bearer mine"}
    )
    connections.update_source(res, ANALYST, source_id, retyped)
    assert _saved(res, source_id)[0]["url"] == moved.config["url"]


def test_other_changes_keep_the_saved_credentials(res: Resources, api: int, victim: Victim) -> None:
    url = f"http://127.0.0.1:{api}/items"
    http_id = connections.create_source(
        res,
        ADMIN,
        connections.SourceDraft("API", "http_json", {"url": url}, {"Authorization": "Bearer admin"}),
    )
    connections.update_source(
        res,
        ANALYST,
        http_id,
        connections.SourceDraft("API renamed", "http_json", {"url": url, "records_path": ""}),
    )
    assert connections.test_source(res, ANALYST, http_id).startswith("reached; first page has 1 records")
    assert RecordingApi.seen[-1][2] == "Bearer admin"
    db_id = connections.create_source(
        res, ADMIN, connections.SourceDraft("Shop", "database", {"table": "items"}, {"url": victim.url})
    )
    connections.update_source(
        res, ANALYST, db_id, connections.SourceDraft("Shop", "database", {"query": "SELECT id FROM items"})
    )
    assert connections.test_source(res, ANALYST, db_id).startswith("connected; 5 rows")


# One resolution, and never the workbench itself --------------------------------------------


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`rebind.test` answers 127.0.0.1 once, then 127.0.0.2 where nothing listens."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        address = "127.0.0.1" if len(asked) == 1 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(address_module.socket, "getaddrinfo", resolve)
    return asked


def test_http_requests_go_to_the_address_the_check_resolved(
    res: Resources, api: int, rebinding: list[str]
) -> None:
    draft = connections.SourceDraft("API", "http_json", {"url": f"http://rebind.test:{api}/items?scope=all"})
    assert connections.test_draft(res, ANALYST, draft).startswith("reached; first page has 1 records")
    assert rebinding == ["rebind.test"]
    assert RecordingApi.seen == [("/items?scope=all", f"rebind.test:{api}", None)]


def test_database_connections_go_to_the_address_the_check_resolved(
    res: Resources, victim: Victim, rebinding: list[str]
) -> None:
    """libpq cannot resolve `rebind.test` at all: reaching the server proves it used the pinned address."""
    url = make_url(victim.url).set(host="rebind.test").render_as_string(hide_password=False)
    draft = connections.SourceDraft("Shop", "database", {"table": "items"}, {"url": url})
    assert connections.test_draft(res, ANALYST, draft).startswith("connected; 5 rows")
    assert rebinding == ["rebind.test"]


def _spellings(own: str) -> list[str]:
    parsed = make_url(own)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return [
            own,
            f"sqlite+pysqlite:///{path}",
            f"sqlite:///{path.parent}/../{path.parent.name}/{path.name}",
        ]
    return [
        own,
        parsed.set(host="localhost").render_as_string(hide_password=False),
        parsed.set(drivername="postgresql", username="other").render_as_string(hide_password=False),
        parsed.update_query_dict({"sslmode": "disable"}).render_as_string(hide_password=False),
    ]


def test_the_workbench_database_is_refused_as_a_source_in_any_spelling(res: Resources) -> None:
    written = _written(res)
    for url in _spellings(res.settings.effective_database_url):
        draft = connections.SourceDraft("Me", "database", {"table": "users"}, {"url": url})
        with pytest.raises(InvalidInputError, match="workbench's own database"):
            connections.create_source(res, ADMIN, draft)
        with pytest.raises(InvalidInputError, match="workbench's own database"):
            connections.test_draft(res, ADMIN, draft)
    assert _written(res) == written


@contextmanager
def _relay_to(port: int) -> Iterator[int]:
    """A TCP port forwarding to `port` on loopback: another address for the same server, as a proxy is."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def pipe(a: socket.socket, b: socket.socket) -> None:
        with suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        for end in (a, b):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        acceptor.join()
        listener.close()


def test_the_workbench_database_behind_another_address_is_refused_by_the_server_s_answer(
    pg_url: str, tmp_path: Path
) -> None:
    """A forwarded port passes any address check; the server's own answer does not."""
    res = build_resources(make_settings(tmp_path, pg_url, sync_allow_internal=True, sync_follow_ups=False))
    try:
        own = make_url(res.settings.effective_database_url)
        with _relay_to(own.port or 5432) as relayed:
            url = own.set(port=relayed).render_as_string(hide_password=False)
            written = _written(res)
            draft = connections.SourceDraft("Me", "database", {"table": "users"}, {"url": url})
            with pytest.raises(InvalidInputError, match="workbench's own database"):
                connections.test_draft(res, ADMIN, draft)
            assert _written(res) == written
            other = own.set(database="postgres", port=relayed).render_as_string(hide_password=False)
            answer = connections.test_draft(
                res,
                ADMIN,
                connections.SourceDraft("Other", "database", {"query": "SELECT 1 AS one"}, {"url": other}),
            )
            assert answer.startswith("connected"), "another database of the same server is still a source"
    finally:
        res.close()


# Each workspace reads only its own files -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "../demo/leads.csv",
        "../../files/demo/leads.csv",
        "/{root}/demo/leads.csv",
        "link/leads.csv",
        "link/../../demo/leads.csv",
    ],
)
def test_a_workspace_cannot_read_another_workspaces_files(res: Resources, path: str) -> None:
    root = res.settings.effective_files_root
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "leads.csv").write_text("id,title\n1,secret lead\n")
    (root / "acme").mkdir()
    (root / "acme" / "link").symlink_to(root / "demo")
    acme = role_actor("acme", "analyst", user_id=None)
    written = _written(res)
    draft = connections.SourceDraft("Leads", "csv", {"path": path.format(root=str(root).strip("/"))})
    with pytest.raises(InvalidInputError, match="must be inside the files folder"):
        connections.test_draft(res, acme, draft)
    with pytest.raises(InvalidInputError, match="must be inside the files folder"):
        connections.create_source(res, acme, draft)
    assert _written(res) == written
    own = connections.SourceDraft("Leads", "csv", {"path": "leads.csv"})
    assert connections.test_draft(res, ANALYST, own) == "leads.csv: 1 records"


# A source cannot flood the workbench ---------------------------------------------------------


class _Flood(BaseHTTPRequestHandler):
    chunked: ClassVar[bool] = False

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            piece = b"[" + b'{"id": 1},' * 10_000
            for _ in range(15):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(3 * 1024 * 1024))
            self.end_headers()
            self.wfile.write(b"[" + b" " * 1024)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(("chunked", "said"), [(False, "is 3.0 MB"), (True, "is at least 1.0 MB")])
def test_an_endpoint_page_over_the_cap_is_refused_saying_its_size(
    res: Resources, monkeypatch: pytest.MonkeyPatch, chunked: bool, said: str
) -> None:
    monkeypatch.setattr(http_module, "MAX_RESPONSE_BYTES", 1024 * 1024)
    monkeypatch.setattr(_Flood, "chunked", chunked)
    with serving(_Flood) as port:
        draft = connections.SourceDraft("Flood", "http_json", {"url": f"http://127.0.0.1:{port}/"})
        with pytest.raises(InvalidInputError, match=f"{said}, more than the 1 MB a page may be"):
            connections.test_draft(res, ANALYST, draft)


class _NextLink(BaseHTTPRequestHandler):
    link: ClassVar[str] = ""

    def do_GET(self) -> None:
        body = json.dumps(
            {"items": [{"id": 1}], "next": self.link if self.path == "/items" else None}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    "link",
    [
        "https://127.0.0.1:{port}/p2",
        "http://127.0.0.2:{port}/p2",
        "//evil.example/p2",
        "http://127.0.0.1:1/p2",
    ],
)
def test_a_next_link_to_another_scheme_or_host_is_not_followed(
    res: Resources, link: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(_NextLink) as port:
        monkeypatch.setattr(_NextLink, "link", link.format(port=port))
        config = {
            "url": f"http://127.0.0.1:{port}/items",
            "records_path": "items",
            "pagination": {"type": "next"},
        }
        connector = connections.connector_for(res, _source(res, config))
        with pytest.raises(SourceError, match="another host or scheme"):
            list(connector.read(ReadSpec("id"), 10))


def _source(res: Resources, config: dict[str, Any]) -> DataSource:
    source_id = connections.create_source(res, ADMIN, connections.SourceDraft("Paged", "http_json", config))
    with res.uow() as uow:
        source = uow.session.get(DataSource, source_id)
        assert source is not None
        uow.session.expunge(source)
        return source


class SqliteVictim:
    """The same attack on a SQLite file source (offered when internal targets are allowed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE items (id integer PRIMARY KEY, title text NOT NULL)")
            connection.executemany("INSERT INTO items VALUES (?, ?)", [(n, f"item {n}") for n in range(1, 6)])

    def state(self) -> tuple[int, list[str], int, bytes]:
        """Rows, tables, the schema version and the file's bytes: anything a write would move."""
        with closing(sqlite3.connect(self.path)) as connection:
            rows = connection.execute("SELECT count(*) FROM items").fetchone()[0]
            tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master ORDER BY 1")]
            version = connection.execute("PRAGMA schema_version").fetchone()[0]
        return int(rows), tables, int(version), self.path.read_bytes()


SQLITE_WRITING_QUERIES = [
    "SELECT 1; DELETE FROM items",
    "SELECT * FROM items; COMMIT; DROP TABLE items",
    "SELECT 1 --\n; DELETE FROM items",
    "SELECT 1 /* */; CREATE TABLE made (x int)",
    "PRAGMA query_only = OFF; DELETE FROM items",
    "SELECT 1; ATTACH DATABASE 'other.db' AS other",
    "SELECT 1; VACUUM INTO 'copy.db'",
    "SELECT load_extension('evil')",
    "REPLACE INTO items VALUES (1, 'x')",
    "SELECT 'it''s'; DELETE FROM items",
    "SELECT `x`; DELETE FROM items",
    'SELECT [a];DELETE FROM items; SELECT "',
]


@pytest.mark.parametrize("query", SQLITE_WRITING_QUERIES)
def test_a_sqlite_source_is_never_written_either(res: Resources, tmp_path: Path, query: str) -> None:
    victim = SqliteVictim(tmp_path / "shop.db")
    before, written = victim.state(), _written(res)
    draft = connections.SourceDraft("Shop", "database", {"query": query}, {"url": victim.url})
    with pytest.raises(InvalidInputError):
        connections.test_draft(res, ANALYST, draft)
    with pytest.raises(InvalidInputError):
        connections.create_source(res, ANALYST, draft)
    assert victim.state() == before
    assert _written(res) == written


@pytest.mark.parametrize(
    "query", ["DELETE FROM items", "SELECT 1; DELETE FROM items", "CREATE TABLE made (x int)"]
)
def test_sqlite_refuses_the_write_even_when_the_text_check_is_bypassed(
    res: Resources, tmp_path: Path, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """query_only, and sqlite3 running one statement, hold without the text check."""
    monkeypatch.setattr(database_module, "check_select", lambda text: text.strip().rstrip(";"))
    victim = SqliteVictim(tmp_path / "shop.db")
    before = victim.state()
    draft = connections.SourceDraft("Shop", "database", {"query": query}, {"url": victim.url})
    with pytest.raises(InvalidInputError):
        connections.test_draft(res, ANALYST, draft)
    assert victim.state() == before
