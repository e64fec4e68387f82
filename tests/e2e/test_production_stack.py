"""The production wiring end to end: docker-compose.yml's app, two workers and the scheduler.

Each runs as a local process with its compose command and environment (see
compose_stack.py) against the suite's real PostgreSQL, Redis, Neo4j and Label Studio;
Chromium walks an admin through the workbench, then one worker is killed mid-sync.
Screenshots and every process's log land in test-artifacts/production-stack/.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select, text

from superinsight.config import Settings
from superinsight.db.models import Document, SyncExecution
from superinsight.resources import Resources, build_resources
from tests.conftest import _database_url
from tests.e2e import compose_stack
from tests.e2e.compose_stack import Process, Processes
from tests.e2e.serving import go_to, settle
from tests.e2e.workbench_data import (
    ADMIN,
    BULK_BATCH,
    BULK_ROWS,
    REFUND,
    SMALL_ROWS,
    create_admin,
    create_job,
    documents_of,
    fill_source,
    rq_workers_of,
    runs_of,
)
from tests.servers import ServerError, wait_until

pytestmark = pytest.mark.e2e


@dataclass
class Stack:
    url: str
    password: str
    resources: Resources
    processes: Processes
    workers: list[Process]
    scheduler: Process
    shots: Path
    small_job: int
    bulk_job: int

    def shot(self, page: Page, name: str, at: Locator | None = None) -> None:
        """What the user sees, scrolled to `at` (Streamlit's page scrolls inside its own frame)."""
        settle(page)
        if at is not None:
            at.first.scroll_into_view_if_needed()
        page.screenshot(path=self.shots / f"{name}.png")


@pytest.fixture(scope="module")
def _databases(_pg_admin: Any, postgres_admin_url: str) -> Iterator[tuple[str, str]]:
    """(the workbench's empty database, the customer's source database), dropped afterwards."""
    names = [f"si_prod_{suffix}_{time.monotonic_ns()}" for suffix in ("workbench", "source")]
    with _pg_admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield _database_url(postgres_admin_url, names[0]), _database_url(postgres_admin_url, names[1])
    with _pg_admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _answers(url: str, expected: bytes | None = None) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return expected is None or response.read() == expected


def _ready(process: Process, url: str, what: str, expected: bytes | None = None) -> None:
    def check() -> bool:
        if not process.alive():
            raise ServerError(f"{what} exited:\n{process.tail()}")
        return _answers(url, expected)

    wait_until(check, 90, what, process.log)


def _metrics_url(process: Process) -> str:
    argv = process.popen.args
    assert isinstance(argv, list)
    return f"http://127.0.0.1:{argv[argv.index('--metrics-port') + 1]}/metrics"


@pytest.fixture(scope="module")
def stack(
    _databases: tuple[str, str],
    _redis_server_url: str,
    _neo4j_server_uri: str,
    label_studio: tuple[str, str],
    artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    import neo4j
    import redis

    if (compose_stack.ROOT / ".env").exists():
        pytest.fail("a .env in the checkout would leak into every service (the image has none): move it")
    workbench_url, source_url = _databases
    with redis.Redis.from_url(_redis_server_url) as client:
        client.flushdb()
    neo4j_password = os.environ.get("TEST_NEO4J_PASSWORD", "")  # the harness has no authentication
    with neo4j.GraphDatabase.driver(_neo4j_server_uri, auth=("neo4j", neo4j_password)) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")
    ls_url, ls_token = label_studio
    secrets_for_compose = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(12),
        "NEO4J_PASSWORD": neo4j_password or secrets.token_urlsafe(12),
        "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(12),
        "LABEL_STUDIO_API_KEY": ls_token,
        "SECRET_KEY": secrets.token_urlsafe(32),
    }
    servers = {
        "postgres:5432": workbench_url,
        "redis:6379": _redis_server_url,
        "neo4j:7687": _neo4j_server_uri,
        "label-studio:8080": ls_url,
    }
    shots = artifacts / "production-stack"
    shots.mkdir(exist_ok=True)
    for old in shots.iterdir():
        old.unlink()
    make = compose_stack.plan(
        compose_stack.load(),
        secrets_for_compose,
        servers,
        venv_bin=Path(sys.executable).parent,
        home=tmp_path_factory.mktemp("production-home"),
        extra=compose_stack.LOCAL_EXTRAS,
    )
    processes = Processes(shots)
    res = None
    try:
        app = make("app")
        url = "http://127.0.0.1:" + re.findall(r"--server\.port (\d+)", app.argv[2])[0]
        started = processes.start(app)
        _ready(started, f"{url}/_stcore/health", "the app (migrate, then streamlit)", b"ok")

        # The same settings as the services, for what the test does behind the browser's back.
        env = app.env
        settings = Settings(
            _env_file=None, **{k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields}
        )
        res = build_resources(settings)
        workers = [processes.start(make("worker"), f"worker-{n}") for n in (1, 2)]
        scheduler = processes.start(make("scheduler"))
        password = create_admin(env)
        for process in [*workers, scheduler]:
            _ready(process, _metrics_url(process), f"{process.name}'s metrics")
        fill_source(source_url)
        small = create_job(res, source_url, "Web orders", "orders", 100)
        bulk = create_job(res, source_url, "Archive backfill", "archive", BULK_BATCH)
        yield Stack(url, password, res, processes, workers, scheduler, shots, small, bulk)
    finally:
        processes.stop_all()
        if res is not None:
            res.close()


def sign_in(page: Page, stack: Stack) -> None:
    page.goto(stack.url)
    settle(page)
    page.get_by_role("textbox", name="Email").fill(ADMIN)
    page.get_by_role("textbox", name="Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def reload_until(page: Page, target: Locator, timeout: float = 60) -> None:
    """Reload until `target` shows: what a follow-up job writes appears on the next page run."""
    deadline = time.monotonic() + timeout
    while not target.count() and time.monotonic() < deadline:
        page.reload()
        settle(page)
    expect(target.first).to_be_visible()


def job_card(page: Page, name: str) -> Locator:
    return page.locator('[data-testid="stHorizontalBlock"]', has_text=name).last


def test_an_admin_syncs_searches_writes_a_rule_and_sees_quality_lineage_and_health(
    page: Page, stack: Stack
) -> None:
    sign_in(page, stack)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    stack.shot(page, "01-signed-in")

    go_to(page, "Sync")
    job_card(page, "Web orders").get_by_role("button", name="Run now").click()
    done = re.compile(rf"Run #\d+ succeeded: {SMALL_ROWS} read · {SMALL_ROWS} new")
    expect(page.get_by_text(done)).to_be_visible(timeout=90_000)
    stack.shot(page, "02-sync-run-finished")
    [run] = runs_of(stack.resources, stack.small_job)
    assert run.status == "succeeded" and len(rq_workers_of(stack.resources, run.id)) == 1, "a worker ran it"

    go_to(page, "Documents")
    page.get_by_role("textbox", name="Search").fill("refund")
    page.get_by_role("textbox", name="Search").press("Enter")
    settle(page)
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(str(SMALL_ROWS // 10))
    stack.shot(page, "03-documents-search")

    go_to(page, "Business rules")
    page.get_by_role("textbox", name="Name").fill("Refund requests")
    page.get_by_role("textbox", name="Name").press("Tab")
    settle(page)
    page.get_by_role("textbox", name="Value").fill(REFUND)
    page.get_by_role("textbox", name="Value").press("Tab")
    settle(page)
    page.get_by_role("button", name="Test").click()
    settle(page)
    expect(page.get_by_text("Match rate", exact=True)).to_be_visible()
    stack.shot(page, "04-rule-tested")
    page.get_by_role("button", name="Save").click()
    settle(page)
    apply = page.get_by_role("button", name="Apply to all documents")
    apply.click()
    settle(page)
    expect(apply).to_be_enabled(timeout=60_000)  # disabled while its job runs on a worker
    page.get_by_text("Matched documents", exact=True).click()
    matched = page.get_by_text(f"Documents matched by version 1 (newest {SMALL_ROWS // 10})")
    expect(matched).to_be_visible()
    stack.shot(page, "05-rule-applied", at=matched)

    go_to(page, "Data quality")
    card = page.get_by_test_id("stMetric").filter(has_text="Web orders DB")
    reload_until(page, card)
    expect(card.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"^\d+\.\d$"))
    stack.shot(page, "06-quality")

    with stack.resources.uow() as uow:
        refund_doc = uow.session.scalar(select(Document.id).where(Document.external_id == "10"))
    page.goto(f"{stack.url}/graph?node=Document:{refund_doc}")
    settle(page)
    reload_until(page, page.get_by_text("matched by rule", exact=False))
    expect(page.get_by_text("from source", exact=False)).to_be_visible()
    expect(page.get_by_text("written by job", exact=False)).to_be_visible()
    stack.shot(page, "07-lineage", at=page.get_by_text("matched by rule", exact=False))

    go_to(page, "System health")
    # The page gives every probe 0.5 s; Label Studio's takes two HTTP calls, so on a busy machine
    # it may miss that once: a person would press Re-check, and so does the test, a few times at most.
    verdict = page.get_by_text("Every configured service is answering.")
    for _ in range(4):
        if verdict.count():
            break
        page.get_by_role("button", name="Re-check").click()
        settle(page)
    expect(verdict).to_be_visible()
    for name in ("database", "cache", "jobs", "graph", "labeling"):
        expect(page.locator('[data-testid="stExpander"] summary', has_text=f"🟢 {name}")).to_have_count(1)
    stack.shot(page, "08-health")


def test_a_worker_killed_mid_sync_loses_nothing_the_scheduler_and_the_other_worker_finish_it(
    page: Page, stack: Stack
) -> None:
    import rq

    connection = stack.resources.jobs.queue.connection  # type: ignore[attr-defined]
    rq_names = {worker.pid: worker.name for worker in rq.Worker.all(connection=connection)}
    sign_in(page, stack)
    go_to(page, "Sync")
    job_card(page, "Archive backfill").get_by_role("button", name="Run now").click()
    expect(page.get_by_text(re.compile(r"Run #\d+: [\d,]+ read"))).to_be_visible(timeout=60_000)

    def running() -> SyncExecution:
        [run] = runs_of(stack.resources, stack.bulk_job)
        return run

    wait_until(lambda: running().records_read >= 10 * BULK_BATCH, 60, "the archive sync to get going")
    horse = int((running().worker_id or "").rsplit(":", 1)[1])
    [victim] = [worker for worker in stack.workers if horse in worker.family()]
    [survivor] = [worker for worker in stack.workers if worker is not victim]
    Processes.kill(victim)
    victim.popen.wait(10)
    stack.shot(page, "09-worker-killed-mid-sync")
    killed = running()
    assert killed.status == "running" and killed.records_read < BULK_ROWS, "killed before the end"
    assert documents_of(stack.resources, stack.bulk_job)[0] == killed.records_read, (
        "rows and counts commit together"
    )

    # The scheduler takes the silent run for dead and queues its retry; the other worker runs it.
    partial = page.get_by_text(re.compile(rf"Run #{killed.id} partial: .*no heartbeat"))
    expect(partial).to_be_visible(timeout=90_000)
    expect(page.get_by_text(re.compile(r"Run #\d+: retry \(attempt 2\) due at"))).to_be_visible()
    stack.shot(page, "10-run-taken-for-dead", at=partial)
    rest = BULK_ROWS - killed.records_read
    finished = page.get_by_text(re.compile(rf"Run #\d+ succeeded: {rest:,} read · {rest:,} new"))
    expect(finished).to_be_visible(timeout=90_000)
    stack.shot(page, "11-retry-finished", at=finished)

    first, retry = runs_of(stack.resources, stack.bulk_job)
    assert (first.status, first.attempt, first.records_read) == ("partial", 1, killed.records_read)
    assert (retry.status, retry.trigger, retry.attempt) == ("succeeded", "retry", 2)
    assert first.finished_at is not None and retry.started_at is not None
    assert first.finished_at <= retry.started_at, "the retry started only once the dead run was ended"
    assert first.records_read + retry.records_read == BULK_ROWS and retry.records_updated == 0
    assert documents_of(stack.resources, stack.bulk_job) == (BULK_ROWS, BULK_ROWS), (
        "every row once, none lost"
    )
    assert rq_workers_of(stack.resources, first.id) == [rq_names[victim.pid]]
    assert rq_workers_of(stack.resources, retry.id) == [rq_names[survivor.pid]]
    assert survivor.alive() and stack.scheduler.alive()
