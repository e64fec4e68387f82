"""The exact figures behind a test's estimate: counted by a job over every document, kept an hour.

A test of a large scope reads a sample so that it answers while the analyst edits; the
full count (and a row-by-row rule's full answer) would hold the page for seconds, so it
runs as a job the test queues. Its figures are kept under a key made of everything that
decides them — the tenant, the actor's reach, the rule, the version it is compared with,
the sources — so the next test of the same draft shows them with the time they were taken.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from superinsight.adapters.jobs import UnknownJobError, report_progress
from superinsight.db.base import utcnow
from superinsight.resources import Resources, current_resources
from superinsight.rules.sql import NotExpressibleInSQLError
from superinsight.services.context import Actor, internal, job_entry, require, system_actor
from superinsight.services.documents.key_kinds import known_kinds
from superinsight.services.documents.writer import documents_version
from superinsight.services.rules import counting
from superinsight.services.rules.drafts import RuleDraft, check_readable

EXACT_SECONDS = 1800.0
"""A full count stops after half an hour: past that, a regex over the content is the wrong rule."""
KEPT_SECONDS = 3600


@dataclass(frozen=True)
class ExactCounts:
    matched: int
    total: int
    gained: int | None
    lost: int | None
    engine: str
    counted_at: datetime


@dataclass(frozen=True)
class CountRequest:
    """What a test counted: enough to count it again exactly, and to name its kept figures."""

    tenant_id: str
    user_id: int | None
    reach: tuple[int, ...] | None
    body: dict[str, Any]
    previous: dict[str, Any] | None
    source_ids: tuple[int, ...] | None
    documents_version: int
    """The documents clock when the test ran: figures are kept for those documents only."""

    @property
    def key(self) -> str:
        decided_by = json.dumps(
            [self.reach, self.body, self.previous, self.source_ids, self.documents_version],
            sort_keys=True,
            default=str,
        )
        digest = hashlib.sha256(decided_by.encode()).hexdigest()[:32]
        return f"rule-count:{self.tenant_id}:{digest}"

    @property
    def actor(self) -> Actor:
        """The system actor narrowed to the reach of whoever asked, so a job counts only what they see."""
        narrowed = None if self.reach is None else frozenset(self.reach)
        return replace(system_actor(self.tenant_id, self.user_id), source_ids=narrowed)


@internal("builds a value from the actor it is given; it reads only the tenant's documents clock")
def request_for(
    resources: Resources,
    actor: Actor,
    body: dict[str, Any],
    previous: dict[str, Any] | None,
    source_ids: list[int] | None,
) -> CountRequest:
    sources = tuple(sorted(set(source_ids))) if source_ids else None
    version = documents_version(resources, actor.tenant_id)
    return CountRequest(actor.tenant_id, actor.user_id, _reach(actor), body, previous, sources, version)


@internal("reads figures kept under a key made from the actor's own tenant and reach")
def kept(resources: Resources, request: CountRequest) -> ExactCounts | None:
    value = resources.cache.get(request.key)
    if value is None:
        return None
    return ExactCounts(**{**value, "counted_at": datetime.fromisoformat(value["counted_at"])})


@internal("queued only by run_test, after it required rules.edit and checked the draft")
def queue(resources: Resources, request: CountRequest) -> str:
    """The job counting this request; a second test of the same draft follows the first's job."""
    running = resources.cache.get(f"{request.key}:job")
    if running is not None:
        try:
            if not resources.jobs.status(running).done:
                return str(running)
        except UnknownJobError:
            pass
    with resources.active():
        job_id = resources.jobs.enqueue(count_exactly_job, request.tenant_id, request)
    resources.cache.set(f"{request.key}:job", job_id, int(EXACT_SECONDS))
    return job_id


def counted(resources: Resources, actor: Actor, request: CountRequest) -> ExactCounts | None:
    """The kept figures of a test this actor ran, once its job has counted them."""
    require(actor, "rules.edit")
    check_readable(resources, actor, RuleDraft("counted", request.body))
    if (request.tenant_id, request.reach) != (actor.tenant_id, _reach(actor)):
        return None
    return kept(resources, request)


def _reach(actor: Actor) -> tuple[int, ...] | None:
    return None if actor.source_ids is None else tuple(sorted(actor.source_ids))


@job_entry("run_test (through queue), after requiring rules.edit")
def count_exactly_job(tenant_id: str, request: CountRequest) -> None:
    """What a worker runs; `tenant_id` comes first as in every job, for the failed-jobs list to read."""
    count_exactly(current_resources(), request)


@internal("a job's work, for the request run_test authorised")
def count_exactly(resources: Resources, request: CountRequest) -> ExactCounts:
    actor = request.actor
    sources = list(request.source_ids) if request.source_ids else None
    too_long = (
        f"counting every document took longer than {EXACT_SECONDS / 60:.0f} min and was stopped; "
        "narrow the rule (a field instead of the content) or test on one source"
    )
    with resources.uow() as uow, counting.within(uow.session, EXACT_SECONDS, too_long):
        scope = counting.scope_of(actor, sources)
        try:
            known = known_kinds(uow.session, actor.tenant_id)
            report_progress(0.0, "Counting in the database…")
            counts = counting.in_sql(uow.session, request.body, request.previous, scope, 0, known)
        except NotExpressibleInSQLError:
            in_scope = max(counting.in_scope(uow.session, actor, sources), 1)
            counts = counting.row_by_row(
                uow.session,
                request.body,
                request.previous,
                scope,
                0,
                None,
                lambda read: report_progress(read / in_scope, f"{read:,} of {in_scope:,} documents read"),
            )
    figures = ExactCounts(counts.matched, counts.total, counts.gained, counts.lost, counts.engine, utcnow())
    resources.cache.set(
        request.key, {**asdict(figures), "counted_at": figures.counted_at.isoformat()}, KEPT_SECONDS
    )
    return figures
