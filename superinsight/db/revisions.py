"""Which schema revision a database is at, and which revisions this code knows, without alembic.

`superinsight health` runs as a container's health check every ten seconds and reports the
database's revision against the newest; importing alembic to read them was a fifth of a
second of each check, more than the probe. Each migration states its `revision` and
`down_revision` as plain strings, read here with Python's parser; alembic reads the same
files to migrate, and the tests hold the two readings equal.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, inspect, text

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class SchemaAheadError(RuntimeError):
    """The database was migrated by a newer release than the one running."""


def _stated(path: Path) -> tuple[str, str | None]:
    """A migration file's `revision` and `down_revision`, as its top-level assignments give them."""
    stated: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        value = getattr(node, "value", None)
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and value:
                stated[target.id] = ast.literal_eval(value)
    revision, down = stated.get("revision"), stated.get("down_revision", ...)
    if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
        raise RuntimeError(f"{path.name} does not state its revision and down_revision as strings")
    return revision, down


@lru_cache(maxsize=1)
def known_revisions() -> dict[str, str | None]:
    """Each revision this code carries -> the one before it (None for the first)."""
    return dict(_stated(path) for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")))


def head_revision() -> str:
    """The newest revision: the one no other follows."""
    known = known_revisions()
    heads = set(known) - set(known.values())
    if len(heads) != 1:
        raise RuntimeError(f"expected one newest migration in {MIGRATIONS_DIR}, found {sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def check_not_ahead(engine: Engine) -> None:
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise SchemaAheadError(
            f"the database is at schema revision {current!r}, which this version of "
            f"SuperInsight does not know (its newest is {head_revision()!r}); "
            "upgrade SuperInsight instead of running an older release against it"
        )
