"""What a run does, fixed when it starts (mapping, steps, cursor), and each batch prepared by it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.base import utcnow
from superinsight.db.models import Document, SyncExecution
from superinsight.documents import record as document_record
from superinsight.services.context import Actor
from superinsight.services.documents.staging import StagedRecord, Target, copy_payload, stage
from superinsight.services.sync.jobs import load_draft_from, tenant_job
from superinsight.sync import cursor, mapping, transforms
from superinsight.sync.connectors import ReadSpec, SourceRecord
from superinsight.sync.modes import mode
from superinsight.sync.transforms import RecordError


@dataclass
class Plan:
    """A run's settings, read once when it starts."""

    job_id: int
    source_id: int
    execution_id: int
    attempt: int
    mapper: Callable[[transforms.Record], document_record.DocumentInput]
    steps: list[transforms.Step]
    spec: ReadSpec
    target: Target
    batch_size: int
    max_retries: int
    retry_delay_seconds: int


def plan_run(session: Session, actor: Actor, execution: SyncExecution) -> Plan:
    job = tenant_job(session, actor, execution.job_id)
    draft = load_draft_from(session, job)
    chosen = mode(job.mode)
    since = cursor.loads(job.cursor_value) if chosen.incremental else None
    execution.cursor_start = job.cursor_value
    return Plan(
        job_id=job.id,
        source_id=job.source_id,
        execution_id=execution.id,
        attempt=execution.attempt,
        mapper=mapping.compile_mapping(draft.field_mapping),
        steps=transforms.parse_steps(draft.steps),
        spec=ReadSpec(draft.field_mapping["external_id"], job.cursor_field, since),
        target=Target(
            tenant_id=actor.tenant_id,
            source_id=job.source_id,
            job_id=job.id,
            execution_id=execution.id,
            mode=chosen,
            strategy=job.conflict_resolution,
            now=utcnow(),
            fresh=session.scalar(select(Document.id).where(Document.source_id == job.source_id).limit(1))
            is None,
        ),
        batch_size=job.batch_size,
        max_retries=job.max_retries,
        retry_delay_seconds=job.retry_delay_seconds,
    )


def prepare(plan: Plan, batch: list[SourceRecord], key: bytes) -> tuple[list[StagedRecord], list[str], int]:
    """Transform and map one batch; returns (records to write, record errors, duplicates dropped)."""
    by_id: dict[str, StagedRecord] = {}
    errors: list[str] = []
    for record in batch:
        try:
            mapped = plan.mapper(transforms.apply_steps(plan.steps, record.data, key))
            staged = stage(mapped, record.changed_at)
        except (RecordError, ValueError) as exc:  # a DocumentProblem names the field and the reason
            errors.append(str(exc))
            continue
        by_id[mapped.external_id] = staged
    duplicates = len(batch) - len(errors) - len(by_id)
    return list(by_id.values()), errors, duplicates


@dataclass(frozen=True)
class Prepared:
    records: int
    last: SourceRecord
    staged: list[StagedRecord]
    errors: list[str]
    duplicates: int
    payload: bytes | None


def prepared(
    plan: Plan, batches: Iterable[list[SourceRecord]], key: bytes, postgres: bool
) -> Iterator[Prepared]:
    for batch in batches:
        staged, errors, duplicates = prepare(plan, batch, key)
        payload = copy_payload(staged, plan.target, postgres)
        yield Prepared(len(batch), batch[-1], staged, errors, duplicates, payload)
