"""The condition builder: groups of field conditions joined by all/any, kept in session state.

Each group and condition carries a stable id, so widget keys survive adding and
removing rows; the page reads the finished structure with `current_builder`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import streamlit as st

from superinsight.rules.builder import OPERATORS, SOURCE_FIELD, Builder, Condition, Group, from_json_logic

JOINS = {"all": "all of", "any": "any of"}
# Operators whose value is one source: it is chosen by name (the rule stores its id).
BY_SOURCE_NAME = ("equals", "does not equal")


def _new_condition(field: str = "", operator: str = "equals", value: str = "") -> dict[str, Any]:
    return {"id": uuid.uuid4().hex[:8], "field": field, "operator": operator, "value": value}


def _new_group(conditions: list[dict[str, Any]] | None = None, join: str = "all") -> dict[str, Any]:
    return {"id": uuid.uuid4().hex[:8], "join": join, "conditions": conditions or [_new_condition()]}


def init_state(prefix: str, body: dict[str, Any] | None) -> None:
    """Fill the form from a saved rule once per rule; JSON-only rules open in the JSON editor."""
    if prefix in st.session_state:
        return
    builder = from_json_logic(body) if body is not None else None
    groups = [
        _new_group([_new_condition(c.field, c.operator, c.value) for c in group.conditions], group.join)
        for group in (builder.groups if builder else ())
    ] or [_new_group()]
    st.session_state[prefix] = {"join": builder.join if builder else "all", "groups": groups}
    st.session_state[f"{prefix}_json_mode"] = body is not None and builder is None
    st.session_state[f"{prefix}_json"] = json.dumps(body or {}, indent=2)


def _source_value(column: Any, key: str, current: str, sources: dict[int, str]) -> str:
    """A source chosen by its name; the condition keeps its id, as the rule compares ids."""
    ids = [str(source_id) for source_id in sources]
    if current.isdigit() and current not in ids:
        ids.insert(0, current)  # a saved id no longer listed stays as it was, and says so
    if not ids:
        column.caption("no data source yet")
        return ""
    return str(
        column.selectbox(
            "Source",
            ids,
            index=ids.index(current) if current in ids else 0,
            format_func=lambda value: (
                sources.get(int(value), f"source #{value} (not found)") if value.isdigit() else value
            ),
            key=f"{key}_source",
        )
    )


def _sources_value(column: Any, key: str, current: str, sources: dict[int, str]) -> str:
    """Sources chosen by their names for 'is one of'; the condition keeps their ids."""
    chosen = [item.strip() for item in current.split(",") if item.strip()]
    ids = [str(source_id) for source_id in sources]
    ids[:0] = [value for value in chosen if value not in ids]  # saved ids no longer listed stay, and say so
    if not ids:
        column.caption("no data source yet")
        return ""
    picked = column.multiselect(
        "Sources",
        ids,
        default=chosen,
        format_func=lambda value: (
            sources.get(int(value), f"source #{value} (not found)") if value.isdigit() else value
        ),
        placeholder="choose sources",
        key=f"{key}_sources",
    )
    return ", ".join(picked)


def _condition_row(
    prefix: str, group: dict[str, Any], condition: dict[str, Any], fields: list[str], sources: dict[int, str]
) -> bool:
    """Draw one condition; returns True when its remove button was pressed."""
    key = f"{prefix}_{condition['id']}"
    field_col, op_col, value_col, remove_col = st.columns([3, 2, 3, 1], vertical_alignment="bottom")
    options = (
        fields if condition["field"] in fields or not condition["field"] else [condition["field"], *fields]
    )
    condition["field"] = field_col.selectbox(
        "Field",
        options,
        index=options.index(condition["field"]) if condition["field"] in options else 0,
        format_func=lambda name: "source (by name)" if name == SOURCE_FIELD else name,
        key=f"{key}_field",
    )
    operators = list(OPERATORS)
    condition["operator"] = op_col.selectbox(
        "Operator", operators, index=operators.index(condition["operator"]), key=f"{key}_operator"
    )
    if OPERATORS[condition["operator"]][1] == "none":
        condition["value"] = ""
        value_col.caption("no value needed")
    elif condition["field"] == SOURCE_FIELD and condition["operator"] in BY_SOURCE_NAME:
        condition["value"] = _source_value(value_col, key, condition["value"], sources)
    elif condition["field"] == SOURCE_FIELD and condition["operator"] == "is one of":
        condition["value"] = _sources_value(value_col, key, condition["value"], sources)
    else:
        condition["value"] = value_col.text_input(
            "Value",
            value=condition["value"],
            key=f"{key}_value",
            help="For 'is one of', separate values with commas. Dates as YYYY-MM-DD.",
        )
    return remove_col.button("✕", key=f"{key}_remove", help="Remove this condition")


def draw_builder(prefix: str, fields: list[str], sources: dict[int, str]) -> None:
    """The groups and their conditions; `sources` (id to name) lets a source be picked by name."""
    state = st.session_state[prefix]
    if len(state["groups"]) > 1:
        state["join"] = st.radio(
            "Match documents that meet",
            list(JOINS),
            format_func=lambda j: f"{JOINS[j]} the groups",
            index=list(JOINS).index(state["join"]),
            horizontal=True,
            key=f"{prefix}_join",
        )
    for position, group in enumerate(list(state["groups"]), start=1):
        with st.container(border=True):
            group["join"] = st.radio(
                f"Group {position}: documents where",
                list(JOINS),
                format_func=lambda j: f"{JOINS[j]} these hold",
                index=list(JOINS).index(group["join"]),
                horizontal=True,
                key=f"{prefix}_{group['id']}_join",
            )
            for condition in list(group["conditions"]):
                if _condition_row(prefix, group, condition, fields, sources):
                    group["conditions"].remove(condition)
                    if not group["conditions"]:
                        state["groups"].remove(group)
                    st.rerun()
            add, drop = st.columns(2)
            if add.button("+ Condition", key=f"{prefix}_{group['id']}_add"):
                group["conditions"].append(_new_condition())
                st.rerun()
            if len(state["groups"]) > 1 and drop.button("Remove group", key=f"{prefix}_{group['id']}_drop"):
                state["groups"].remove(group)
                st.rerun()
    if st.button("+ Group (another set of conditions)", key=f"{prefix}_add_group"):
        state["groups"].append(_new_group())
        st.rerun()


def current_builder(prefix: str) -> Builder:
    state = st.session_state[prefix]
    return Builder(
        state["join"],
        tuple(
            Group(
                group["join"],
                tuple(Condition(c["field"], c["operator"], c["value"]) for c in group["conditions"]),
            )
            for group in state["groups"]
        ),
    )
