"""Per-browser-session facts every page needs: the resources and who is asking."""

from __future__ import annotations

import streamlit as st

from superinsight.config import get_settings
from superinsight.db import migrate as schema
from superinsight.logs import configure_logging
from superinsight.resources import Resources, get_resources
from superinsight.services.context import DEMO_TENANT, Actor


@st.cache_resource(show_spinner="Preparing the database…")
def _prepared_resources() -> Resources:
    """Migrate once per server process, before any page queries the schema."""
    settings = get_settings()
    configure_logging(settings)
    resources = get_resources()
    if settings.auto_migrate:
        schema.upgrade(resources.engine)
    return resources


def resources() -> Resources:
    try:
        return _prepared_resources()
    except schema.SchemaAheadError as exc:
        st.error(f"The workbench cannot start: {exc}")
        st.stop()
        raise


def client_address() -> str | None:
    """The browser's address, when Streamlit knows it (not in tests or behind some proxies)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def current_actor() -> Actor:
    """The demo tenant's analyst-admin until sign-in lands (issue 3)."""
    return Actor(tenant_id=DEMO_TENANT, user_id=None, role="admin", ip_address=client_address())
