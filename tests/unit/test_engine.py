"""What PostgreSQL connections are opened with: no connection is made here."""

from __future__ import annotations

from superinsight.db.engine import CONNECT_TIMEOUT_SECONDS, postgres_connect_args


def test_every_connection_gives_up_on_a_silent_server_and_runs_without_jit() -> None:
    args = postgres_connect_args("postgresql://app:pw@db.example:5432/wb")
    assert args == {"options": "-c jit=off", "connect_timeout": CONNECT_TIMEOUT_SECONDS}
    assert 2 <= CONNECT_TIMEOUT_SECONDS <= 3  # psycopg's floor; the health command's probe deadline


def test_a_url_that_sets_its_own_connect_timeout_keeps_it() -> None:
    args = postgres_connect_args("postgresql://app:pw@db.example:5432/wb?connect_timeout=10")
    assert "connect_timeout" not in args  # the URL's own parameter reaches psycopg untouched
