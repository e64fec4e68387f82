"""bench/pages.py's servers and data: PostgreSQL with pg_stat_statements, Redis, workspaces, the app."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from bench.common import elapsed
from superinsight.config import Settings
from superinsight.db import migrate
from superinsight.db.engine import normalize_url
from superinsight.documents.arrivals import tally
from superinsight.resources import Resources, build_resources
from superinsight.services.context import system_actor
from superinsight.services.demo import data as demo
from superinsight.services.demo.seed import ensure_demo_users, seed_demo
from superinsight.services.documents import arrivals
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.writer import bump_version
from superinsight.services.quality import scoring
from superinsight.services.quality import settings as quality_settings
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import views as rule_views
from tests.servers import PostgresServer, RedisServer, free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]
DEMO_PART = 600  # documents loaded by the demo's own seed (its instalments, rule history, sync example)

# The bulk, shaped like the demo's tickets and contracts, spread over 90 days, pseudo-random by n.
# n is a bigint: n * 7919 passes the integer range at n = 271,183, below the million the bench seeds.
_ARRAY = "(CAST(:{name} AS text[]))[1 + ({expr}) % {size}]"
TICKETS_SQL = f"""
INSERT INTO documents (tenant_id, source_id, external_id, title, content, metadata, tags, content_hash,
                       sync_status, sync_version, created_at, updated_at)
SELECT :tenant, :source, 'BLK-' || n, p.product || ': ' || p.subject,
       p.body || ' Customer ' || p.customer || ' (' || p.region || ') reports it affects '
           || (1 + n % 250) || ' users.',
       jsonb_strip_nulls(jsonb_build_object('customer', p.customer, 'region', p.region,
           'product', p.product, 'priority', p.priority, 'assignee', NULLIF(p.assignee, ''),
           'satisfaction', CASE WHEN n % 6 = 0 THEN NULL ELSE 1 + n % 5 END)),
       CASE n % 5 WHEN 0 THEN '["vip"]' WHEN 1 THEN '["billing", "bug"]' WHEN 2 THEN '["question"]'
                  ELSE '[]' END::jsonb,
       md5(n::text), 'synced', 1, now() - (n * 7919 % 129600) * interval '1 minute', now()
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n,
LATERAL (SELECT {_ARRAY.format(name="subjects", expr="n * 31", size=len(demo.TICKET_PROBLEMS))} AS subject,
                {_ARRAY.format(name="bodies", expr="n * 31", size=len(demo.TICKET_PROBLEMS))} AS body,
                {_ARRAY.format(name="products", expr="n * 17", size=len(demo.PRODUCTS))} AS product,
                {_ARRAY.format(name="companies", expr="n * 13", size=len(demo.COMPANIES))} AS customer,
                {_ARRAY.format(name="regions", expr="n * 7", size=len(demo.REGIONS))} AS region,
                {_ARRAY.format(name="priorities", expr="n * 11", size=len(demo.PRIORITIES))} AS priority,
                {_ARRAY.format(name="agents", expr="n * 3", size=len(demo.AGENTS))} AS assignee) AS p
"""
CONTRACTS_SQL = f"""
INSERT INTO documents (tenant_id, source_id, external_id, title, content, metadata, tags, content_hash,
                       sync_status, sync_version, created_at, updated_at)
SELECT :tenant, :source, 'BLK-' || n, p.kind || ' — ' || p.customer,
       'This ' || lower(p.kind) || ' between SuperInsight and ' || p.customer || ' runs for '
           || p.term || ' months with a total value of ' || p.amount || ' USD.',
       jsonb_strip_nulls(jsonb_build_object('customer', p.customer, 'region', p.region, 'amount', p.amount,
           'currency', 'USD', 'term_months', p.term, 'signed_on', p.signed::date::text,
           'end_date', CASE WHEN n % 16 = 0 THEN NULL
                            ELSE (p.signed + p.term * interval '30 days')::date::text END)),
       CASE n % 4 WHEN 0 THEN '["renewal"]' WHEN 1 THEN '["enterprise", "legal-review"]' ELSE '[]' END::jsonb,
       md5(n::text), 'synced', 1, p.signed, now()
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n,
LATERAL (SELECT {_ARRAY.format(name="kinds", expr="n * 31", size=len(demo.CONTRACT_KINDS))} AS kind,
                {_ARRAY.format(name="companies", expr="n * 13", size=len(demo.COMPANIES))} AS customer,
                {_ARRAY.format(name="regions", expr="n * 7", size=len(demo.REGIONS))} AS region,
                round((exp(8 + (n * 7919 % 1000) / 250.0))::numeric, 2) AS amount,
                (ARRAY[12, 24, 36])[1 + n % 3] AS term,
                now() - (n * 7919 % 129600) * interval '1 minute' AS signed) AS p
"""
PARAMS = {
    "subjects": [subject for subject, _ in demo.TICKET_PROBLEMS],
    "bodies": [body for _, body in demo.TICKET_PROBLEMS],
    "products": list(demo.PRODUCTS),
    "companies": list(demo.COMPANIES),
    "regions": list(demo.REGIONS),
    "priorities": list(demo.PRIORITIES),
    "agents": [agent or "" for agent in demo.AGENTS],
    "kinds": list(demo.CONTRACT_KINDS),
}


SHARED_BUFFERS = "1GB"


@dataclass(frozen=True)
class Servers:
    database_url: str
    redis_url: str
    statements: bool  # pg_stat_statements loaded


@contextmanager
def servers() -> Iterator[Servers]:
    """A PostgreSQL of our own with pg_stat_statements preloaded and SHARED_BUFFERS of cache
    (restarted once to take both), and a Redis."""
    postgres, redis = PostgresServer(), RedisServer()
    postgres.start()
    redis.start()
    try:
        admin = create_engine(normalize_url(postgres.admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"))
            # As a server kept for a million documents would be: the table and its indexes
            # (0.9 GB) in PostgreSQL's own cache. At the default 128 MB a common word's
            # ranked page read 54,000 pages from the operating system's cache (290-345 ms
            # against 190-200 ms).
            connection.execute(text(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}'"))
            connection.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        data, log = str(postgres.dir / "data"), str(postgres.dir / "server.log")
        restart = [str(postgres.bin / "pg_ctl"), "-D", data, "-l", log, "-w", "restart"]
        if os.geteuid() == 0:
            restart = ["runuser", "-u", "postgres", "--", *restart]
        # No pipes: the restarted server would inherit them and the call would never return.
        done = subprocess.run(restart, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        statements = done.returncode == 0
        url = postgres.url_for("bench")
        engine = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            try:
                connection.execute(text("CREATE EXTENSION pg_stat_statements"))
            except Exception as exc:  # reported; the run goes on without statement figures
                print(f"pg_stat_statements is not available here ({exc}); no per-query figures")
                statements = False
        engine.dispose()
        engine = create_engine(normalize_url(url))  # migrations run in a transaction, as the app's do
        migrate.upgrade(engine)
        engine.dispose()
        yield Servers(url, redis.url, statements)
    finally:
        redis.stop()
        postgres.stop()


def settings_for(found: Servers, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=found.database_url,
        redis_url=found.redis_url,
        sync_follow_ups=False,
    )


def _bulk(resources: Resources, tenant: str, sql: str, source: int, first: int, last: int) -> None:
    """Documents by SQL, counted on the overview's arrivals by their dates, as a writer counts its own."""
    if last < first:
        return
    with resources.uow() as uow:
        created = uow.session.scalars(
            text(f"{sql} RETURNING created_at"),
            {**PARAMS, "tenant": tenant, "source": source, "first": first, "last": last},
        ).all()
        arrivals.add(uow.session, tenant, source, tally(created))
        uow.commit()


def seed_workspace(resources: Resources, tenant: str, documents: int) -> tuple[float, str]:
    """The demo (600 documents), then the rest by SQL over three sources, then its rules and checks.

    Returns the seconds it took and the admin's password.
    """
    actor = system_actor(tenant)
    password = ""

    def work() -> None:
        nonlocal password
        seed_demo(resources, actor, min(DEMO_PART, documents))
        [admin] = [a for a in ensure_demo_users(resources, actor) if a.role == "admin"]
        password = admin.password
        rest = max(documents - DEMO_PART, 0)
        support = ensure_source(resources.uow(), actor, "Support desk", "upload", {"demo": True})
        contracts = ensure_source(resources.uow(), actor, "Contracts DB", "upload", {"demo": True})
        inbox = ensure_source(resources.uow(), actor, "Support inbox", "upload", {"demo": True})
        quality_settings.set_expectations(resources, actor, inbox, demo.SUPPORT_EXPECTATIONS)
        tickets = rest * 3 // 5
        _bulk(resources, tenant, TICKETS_SQL, support, 1, tickets // 2)
        _bulk(resources, tenant, TICKETS_SQL, inbox, tickets // 2 + 1, tickets)
        _bulk(resources, tenant, CONTRACTS_SQL, contracts, tickets + 1, rest)
        with resources.engine.begin() as connection:
            connection.execute(text("ANALYZE documents"))
        bump_version(resources, tenant)
        for summary in rule_views.list_rules(resources, actor):
            rule_id = summary.rule.id
            rule_apply.apply_rule(resources, actor, rule_id, rule_apply.new_run(resources, actor, rule_id))
        for source_id in (support, contracts, inbox):
            scoring.score_source(resources, actor, source_id)
        with resources.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))  # as autovacuum leaves a settled table

    return elapsed(work), password


def seed(found: Servers, data_dir: Path, workspaces: dict[str, int]) -> dict[str, tuple[float, str]]:
    resources = build_resources(settings_for(found, data_dir))
    try:
        return {tenant: seed_workspace(resources, tenant, size) for tenant, size in workspaces.items()}
    finally:
        resources.close()


# The floor under the sign-in page's first paint: Streamlit's own bundle loading and drawing a
# form like ours in a browser that has never seen it, with none of our code behind it.
BARE_FORM = """import streamlit as st

st.title("Sign in")
with st.form("sign_in"):
    st.text_input("Workspace")
    st.text_input("Email")
    st.text_input("Password", type="password")
    st.form_submit_button("Sign in")
"""


@contextmanager
def app(found: Servers, data_dir: Path) -> Iterator[str]:
    """`streamlit run serve.py` on the seeded database, as a user runs it; yields its address."""
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": found.database_url,
        "REDIS_URL": found.redis_url,
        "SYNC_FOLLOW_UPS": "false",
    }
    with served(ROOT / "serve.py", env, data_dir / "streamlit.log") as url:
        yield url


@contextmanager
def bare_form(data_dir: Path) -> Iterator[str]:
    """A bare Streamlit form (`BARE_FORM`) served the same way, as the sign-in page's reference."""
    script = data_dir / "bare_form.py"
    script.write_text(BARE_FORM)
    with served(script, dict(os.environ), data_dir / "bare_form.log") as url:
        yield url


@contextmanager
def served(script: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`streamlit run` on loopback; yields the address once Streamlit says it is healthy."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.read() == b"ok")

    try:
        wait_until(healthy, 90, "streamlit", log)
        yield url
    finally:
        process.terminate()
        process.wait(20)


def statements_engine(found: Servers) -> Engine:
    return create_engine(normalize_url(found.database_url), isolation_level="AUTOCOMMIT")
