"""Pages never show a traceback: an unexpected error becomes a plain message with an id the log holds.

    with shown():
        ...draw, call services...

A `ServiceError` the code inside did not handle is shown as its message (escaped:
it may quote what someone typed). Anything else is logged with its traceback under
a short error id, and the page says only that something went wrong and which id to
give an administrator. Streamlit's own `st.stop()`/`st.rerun()` pass through (they
are not `Exception`s).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from superinsight.services.errors import ServiceError
from ui.feedback import md

log = logging.getLogger("superinsight.pages")


def error_id() -> str:
    return secrets.token_hex(4)


def report(exc: BaseException) -> str:
    """Log an unexpected error with its traceback; the id a person can quote to find it."""
    ident = error_id()
    log.error("error %s on a page: %s", ident, type(exc).__name__, exc_info=exc)
    return ident


def unexpected_message(ident: str) -> str:
    return (
        f"Something went wrong, and nothing more about it is shown here. "
        f"Error id **{ident}**: an administrator can find what happened in the log under it."
    )


@contextmanager
def shown() -> Iterator[None]:
    """Run a part of a page; a refusal shows as its message, anything else as an error id."""
    try:
        yield
    except ServiceError as exc:
        st.error(md(str(exc)))
    except Exception as exc:  # noqa: BLE001 - the point: no traceback ever reaches the page
        st.error(unexpected_message(report(exc)))
