"""The "Send to Label Studio" entry other pages offer: it carries their selection to the Labeling page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from superinsight.services.context import Actor

SELECTION = "labeling_selection"  # {"kind": "search"} (the Documents search in doc_query) or a rule's id


def send_button(
    actor: Actor, selection: dict[str, Any], key: str, label: str = "Send to Label Studio"
) -> None:
    """A button that opens the Labeling page's launch form with `selection`; only for who may launch."""
    if actor.can("labeling.manage") and st.button(label, key=key):
        st.session_state[SELECTION] = selection
        st.switch_page("pages/labeling.py")
