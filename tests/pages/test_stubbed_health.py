"""The System health page for each role, its services stubbed: the services, the queue, retries."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.pages.stubbed import (
    NOW,
    ROLES,
    Stubs,
    by_role,
    open_page,
    starts_with_a_header,
)
from ui.status import ICONS


def _health(stubs: Stubs, role: str, *, queue_answers: bool = True) -> None:
    from superinsight.services.health.history import LatencyPoint
    from superinsight.services.health.probes import ServiceHealth
    from superinsight.services.health.queue import FailedJobRow
    from superinsight.services.health.report import HealthReport

    admin = role == "admin"
    database = ServiceHealth(
        "database", "sqlite", "up", 1.5, "a file, no server, 2 MB", "SQLite 3.40.1", (("schema", "0012"),)
    )
    failed = [
        FailedJobRow(
            "j1", "graph.backlog.drain_job", "Neo4j does not answer", NOW, role in ("admin", "analyst")
        ),
        FailedJobRow("j2", "sync.runner.run_execution_job", "source *gone*", NOW, False),
    ]
    stubs.returns(
        "superinsight.services.health.report.health_report",
        HealthReport(
            [
                replace(database, address="sqlite:////srv/wb.db" if admin else ""),
                ServiceHealth("cache", "redis", "down", None, "no answer within 0.8 s"),
                ServiceHealth("graph", "neo4j", "up", 4.0, "answering over Bolt", "Neo4j/5.26.0"),
            ],
            failed if queue_answers else None,
            3,
            [
                LatencyPoint(NOW, "database", 1.2),
                LatencyPoint(NOW, "graph", 0.0),
                LatencyPoint(NOW, "database", 1.5),
                LatencyPoint(NOW, "graph", 0.0),
            ],
            admin,
        ),
    )


class TestHealth:
    @by_role(*ROLES)
    def test_lists_the_services_names_the_ones_down_and_offers_retry_to_who_may(
        self, stubs: Stubs, role: str
    ) -> None:
        _health(stubs, role)
        page = open_page(stubs, "health", role)
        starts_with_a_header(page, "System health")
        assert "1 service(s) down: cache" in page.at.error[0].value
        table = page.at.dataframe[0].value
        assert list(table["backend"]) == ["sqlite (embedded default)", "redis", "neo4j"]
        assert list(table["version"]) == ["SQLite 3.40.1", "", "Neo4j/5.26.0"]
        assert ("address" in table.columns) == (role == "admin")
        assert ("sqlite:////srv/wb.db" in str(table.to_dict())) == (role == "admin")
        assert "- changes waiting to be projected: 3" in page.texts("markdown")
        # The table cuts long text: what a service that is not up says is also written out whole.
        assert f"- {ICONS['down']} **cache** (down): no answer within 0.8 s" in page.texts("markdown")
        assert not any("**database**" in text for text in page.texts("markdown"))
        assert r"source \*gone\*" in page.texts("markdown")
        retry = [b for b in page.at.button if b.label == "Retry"]
        assert [b.key for b in retry] == (["retry_j1"] if role in ("admin", "analyst") else [])
        chart = json.loads(page.at.get("plotly_chart")[0].proto.spec)
        assert chart["layout"]["title"]["text"] == "Probe latency per check"
        assert chart["layout"]["xaxis"]["title"]["text"] == "checked at (UTC)"
        assert chart["layout"]["yaxis"]["title"]["text"] == "latency (ms)"
        # Two lines on one another both show (dashes), and pointing at a time lists every service.
        assert [(trace["name"], trace["line"]["dash"]) for trace in chart["data"]] == [
            ("database", "solid"),
            ("graph", "dash"),
        ]
        assert chart["layout"]["hovermode"] == "x unified"

    def test_retry_queues_the_job_again_and_a_refusal_says_why(self, stubs: Stubs) -> None:
        from superinsight.services.errors import PermissionDeniedError

        _health(stubs, "analyst")
        stubs.returns("superinsight.services.health.queue.retry_job", None)
        page = open_page(stubs, "health", "analyst")
        next(b for b in page.at.button if b.label == "Retry").click()
        page.run()
        assert "superinsight.services.health.queue.retry_job" in page.calls
        assert "is queued again" in page.at.success[0].value
        stubs.raises("superinsight.services.health.queue.retry_job", PermissionDeniedError("not yours"))
        next(b for b in page.at.button if b.label == "Retry").click()
        page.run()
        assert page.at.error[-1].value == "Not retried: not yours"

    def test_a_queue_that_did_not_answer_is_said_not_waited_for(self, stubs: Stubs) -> None:
        _health(stubs, "viewer", queue_answers=False)
        page = open_page(stubs, "health", "viewer")
        assert "did not answer in time" in page.at.warning[0].value
