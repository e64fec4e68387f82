"""The sync job form: mode, cursor, field mapping, transformation steps with a live preview, schedule."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from superinsight.services.context import Actor
from superinsight.services.errors import ServiceError
from superinsight.services.sync import connections
from superinsight.services.sync import job_views as sync_job_views
from superinsight.services.sync import jobs as sync_jobs
from superinsight.sync.modes import MODES
from superinsight.sync.transforms import OPTION_KEYS
from superinsight.vocabulary import CONFLICT_STRATEGIES, CONFLICT_STRATEGY_LABELS, TRANSFORMATION_TYPES
from ui.feedback import md, refusals
from ui.session import resources

OPTION_HELP = (
    "rename/cast: the target (cast: int, float, str, bool, date, datetime); default: the value; "
    "mask: mask, hash, redact or partial; template: text with {field} placeholders; "
    'computed: JSON Logic such as {"*": [{"var": "price"}, 2]}'
)
NONE = "—"


def _steps_table(steps: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for step in steps:
        key = OPTION_KEYS.get(str(step.get("type")))
        option = step.get(key) if key else ""
        rows.append(
            {
                "type": step.get("type"),
                "field": step.get("field"),
                "option": option if isinstance(option, str) else json.dumps(option),
            }
        )
    return pd.DataFrame(rows or [], columns=["type", "field", "option"])


def _option(kind: str, raw: str) -> Any:
    """Options are typed as text; JSON Logic and default values may be JSON."""
    if kind in ("computed", "default"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _steps_from(table: pd.DataFrame) -> list[dict[str, Any]]:
    steps = []
    for row in table.to_dict("records"):
        kind = str(row.get("type") or "").strip()
        if not kind:
            continue
        step: dict[str, Any] = {"type": kind, "field": str(row.get("field") or "").strip()}
        if kind in OPTION_KEYS:
            step[OPTION_KEYS[kind]] = _option(kind, str(row.get("option") or ""))
        steps.append(step)
    return steps


def _fields(actor: Actor, source_id: int) -> list[str]:
    """The fields of the source's sample records, read once per source and session (not per rerun)."""
    key = f"job_sample_fields_{source_id}"
    if key not in st.session_state:
        try:
            sample = connections.sample_records(resources(), actor, source_id, 20)
        except ServiceError as exc:
            st.session_state[key] = ([], f"Could not read sample records, so fields must be typed: {md(exc)}")
        else:
            st.session_state[key] = (sorted({name for record in sample for name in record}), None)
    fields, problem = st.session_state[key]
    if problem:
        st.warning(problem)
    if st.button("Read the source's fields again", key=f"{key}_again", help="After the source changed"):
        del st.session_state[key]
        st.rerun()
    return list(fields)


def _pick(label: str, fields: list[str], current: str | None, key: str, where: Any = st) -> str:
    """A field picker that keeps a saved choice even when the sample no longer shows that field."""
    choices = [NONE, *fields]
    if current and current not in choices:
        choices.append(current)
    return str(
        where.selectbox(label, choices, index=choices.index(current) if current in choices else 0, key=key)
    )


def job_form(actor: Actor, sources: dict[str, int], existing: tuple[int, sync_jobs.JobDraft] | None) -> None:
    """Create a job, or change `existing` (job id, its settings)."""
    draft = existing[1] if existing else None
    source_names = list(sources)
    if draft is not None:
        source_name = next(name for name, sid in sources.items() if sid == draft.source_id)
        st.caption(f"Source: {md(source_name)}")
    else:
        source_name = st.selectbox("Source", source_names, key="job_source")
    source_id = sources[source_name]
    view = connections.view_source(resources(), actor, source_id)
    fields = _fields(actor, source_id)
    prefix = f"job_{existing[0] if existing else 'new'}_{source_id}"

    name = st.text_input(
        "Job name", value=draft.name if draft else f"{source_name} sync", key=f"{prefix}_name"
    )
    mode_names = list(MODES)
    mode = st.selectbox(
        "Sync mode",
        mode_names,
        index=mode_names.index(draft.mode) if draft else mode_names.index("incremental_dedup"),
        format_func=lambda value: MODES[value].label,
        key=f"{prefix}_mode",
    )
    st.caption(MODES[mode].help)
    cursor_choices = fields + (
        [sync_jobs.MODIFIED_TIME] if view.source_type in ("csv", "jsonl", "folder") else []
    )
    cursor_field: str | None = None
    if MODES[mode].incremental:
        current_cursor = (draft.cursor_field or sync_jobs.MODIFIED_TIME) if draft else None
        cursor_field = _pick(
            "Cursor field (grows when a record changes)", cursor_choices, current_cursor, f"{prefix}_cursor"
        )
        cursor_field = None if cursor_field == NONE else cursor_field

    st.markdown("**Field mapping**")
    mapping = draft.field_mapping if draft else {}
    left, right = st.columns(2)
    chosen = {
        "external_id": _pick("External id (primary key)", fields, mapping.get("external_id"), f"{prefix}_id"),
        "title": _pick("Title", fields, mapping.get("title"), f"{prefix}_title"),
    }
    chosen["content"] = _pick("Content", fields, mapping.get("content"), f"{prefix}_content", left)
    chosen["tags"] = _pick("Tags", fields, mapping.get("tags"), f"{prefix}_tags", right)
    chosen["created_at"] = _pick(
        "Document date (ISO dates; newest-first sorts by it)",
        fields,
        mapping.get("created_at"),
        f"{prefix}_date",
        left,
    )
    keep_rest = st.checkbox(
        "Keep every other field as metadata",
        value=(not draft) or "metadata.*" in mapping,
        key=f"{prefix}_rest",
    )
    field_mapping = {target: source for target, source in chosen.items() if source and source != NONE}
    if keep_rest:
        field_mapping["metadata.*"] = ""
    field_mapping |= {
        target: source
        for target, source in mapping.items()
        if target.startswith("metadata.") and target != "metadata.*"
    }

    st.markdown("**Transformations** (applied in order to each record, before mapping)")
    table = st.data_editor(
        _steps_table(draft.steps if draft else []),
        num_rows="dynamic",
        column_config={
            "type": st.column_config.SelectboxColumn(
                "Step", options=list(TRANSFORMATION_TYPES), required=True
            ),
            "field": st.column_config.TextColumn("Field"),
            "option": st.column_config.TextColumn("Option", help=OPTION_HELP),
        },
        key=f"{prefix}_steps",
        width="stretch",
    )
    steps = _steps_from(table)
    if st.button("Preview on sample records", key=f"{prefix}_preview"):
        rows = None
        with refusals("No preview"):
            rows = sync_job_views.preview(resources(), actor, source_id, field_mapping, steps)
        if rows is not None:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "record": json.dumps(row.before, default=str)[:200],
                            "external id": (row.document or {}).get("external_id", ""),
                            "title": (row.document or {}).get("title", ""),
                            "metadata": json.dumps((row.document or {}).get("metadata", {}), default=str)[
                                :200
                            ],
                            "problem": row.error or "",
                        }
                        for row in rows
                    ]
                ),
                hide_index=True,
                width="stretch",
            )

    st.markdown("**When and how**")
    one, two, three = st.columns(3)
    schedule = one.text_input(
        "Schedule (cron, optional)",
        value=(draft.schedule_cron or "") if draft else "",
        key=f"{prefix}_cron",
        help="Five fields: minute hour day month weekday, e.g. 0 * * * * for hourly",
    )
    timezone = two.text_input("Time zone", value=draft.timezone if draft else "UTC", key=f"{prefix}_tz")
    strategy = three.selectbox(
        "When a document was edited here and changed at the source",
        list(CONFLICT_STRATEGIES),
        index=list(CONFLICT_STRATEGIES).index(draft.conflict_resolution) if draft else 0,
        format_func=CONFLICT_STRATEGY_LABELS.__getitem__,
        key=f"{prefix}_strategy",
    )
    one, two, three = st.columns(3)
    batch_size = one.number_input(
        "Batch size", 1, 50_000, draft.batch_size if draft else 1000, key=f"{prefix}_batch"
    )
    retries = two.number_input(
        "Retries after a failure", 0, 10, draft.max_retries if draft else 3, key=f"{prefix}_retries"
    )
    delay = three.number_input(
        "First retry after (s)",
        1,
        3600,
        draft.retry_delay_seconds if draft else 30,
        key=f"{prefix}_delay",
        help="Each further retry waits about twice as long, with jitter",
    )
    if st.button("Save job", type="primary", key=f"{prefix}_save"):
        new = sync_jobs.JobDraft(
            name=name,
            source_id=source_id,
            mode=mode,
            field_mapping=field_mapping,
            steps=steps,
            cursor_field=cursor_field,
            schedule_cron=schedule.strip() or None,
            timezone=timezone.strip() or "UTC",
            conflict_resolution=strategy,
            batch_size=int(batch_size),
            max_retries=int(retries),
            retry_delay_seconds=int(delay),
        )
        with refusals("Not saved"):
            if existing is None:
                sync_jobs.create_job(resources(), actor, new)
            else:
                sync_jobs.update_job(resources(), actor, existing[0], new)
            st.session_state["sync_flash"] = f"Saved {md(name)}."
            st.rerun()
