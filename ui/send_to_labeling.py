"""The "Send to Label Studio" entry other pages offer: it carries their selection to the Labeling page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from superinsight.services.context import Actor
from superinsight.services.labeling.connection import configured
from ui.session import resources

NOT_CONNECTED = "Label Studio is not connected yet: the Labeling page says more."
SELECTION = "labeling_selection"  # {"kind": "search"} (the Documents search in doc_query) or a rule's id


def send_button(
    actor: Actor, selection: dict[str, Any], key: str, label: str = "Send to Label Studio"
) -> None:
    """A button that opens the Labeling page's launch form with `selection`; only for who may launch,
    and greyed out, saying why, while no Label Studio is configured (it would open a page with no form)."""
    if not actor.can("labeling.manage"):
        return
    usable = configured(resources())
    if st.button(label, key=key, disabled=not usable, help=None if usable else NOT_CONNECTED):
        st.session_state[SELECTION] = selection
        st.switch_page("pages/labeling.py")
