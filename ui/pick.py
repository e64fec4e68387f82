"""Choosing many rows of a list at once: all of them, or some by name (for bulk actions)."""

from __future__ import annotations

import streamlit as st


def pick_many(labels: dict[int, str], what: str, key: str) -> list[int]:
    """The ids chosen: every one with the "all" box, else those picked in the list."""
    if st.checkbox(f"All {len(labels)} shown", key=f"{key}_all"):
        return list(labels)
    return st.multiselect(what, list(labels), format_func=labels.__getitem__, key=f"{key}_chosen")
