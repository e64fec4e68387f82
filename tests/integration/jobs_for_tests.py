"""Job functions a real RQ worker process imports by name."""

from __future__ import annotations

from pathlib import Path

from superinsight.adapters.jobs import report_progress


def write_marker(path: str, text: str) -> None:
    report_progress(0.5, "writing")
    Path(path).write_text(text)
    report_progress(1.0, "written")


def fail(message: str) -> None:
    raise RuntimeError(message)


def fail_for(tenant_id: str, message: str) -> None:
    """A job of `tenant_id` (workbench jobs take their tenant first) that fails with `message`."""
    raise RuntimeError(message)


def fail_like_a_database(message: str) -> None:
    """Fails as a SQLAlchemy error reads: the message, then the statement, then a link."""
    raise RuntimeError(
        f"(psycopg.errors.QueryCanceled) {message}\n[SQL: SELECT secret FROM documents]\n"
        "(Background on this error at: https://sqlalche.me/e/21/e3q8)"
    )
