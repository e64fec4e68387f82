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

from sqlalchemy import Connection, Engine, inspect, text

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
    """Each revision this code carries -> the one before it (None for the first).

    Files as alembic reads them (not `__init__` nor an editor's `.#` lock); a revision stated
    twice, or following one that is not here, is refused as alembic would refuse it.
    """
    files = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    stated = [_stated(path) for path in files if not path.name.startswith(("__init__", ".#"))]
    known = dict(stated)
    if len(known) != len(stated):
        raise RuntimeError(f"a revision is stated by two files in {MIGRATIONS_DIR}")
    if missing := {down for down in known.values() if down is not None} - set(known):
        raise RuntimeError(f"migrations follow revisions that are not in {MIGRATIONS_DIR}: {sorted(missing)}")
    return known


def head_revision() -> str:
    """The newest revision: the one no other follows."""
    known = known_revisions()
    heads = set(known) - set(known.values())
    if len(heads) != 1:
        raise RuntimeError(f"expected one newest migration in {MIGRATIONS_DIR}, found {sorted(heads)}")
    return heads.pop()


def current_revision(bind: Engine | Connection) -> str | None:
    """The revision the database is at; None for a database never migrated.

    A probe passes the connection it holds; other callers the engine, for one of its own.
    """
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return current_revision(connection)
    connection = bind
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(found) > 1:
        raise RuntimeError(f"the database is at several schema revisions at once: {sorted(found)}")
    return found[0] if found else None


def is_ahead(revision: str | None) -> bool:
    """Whether a database at `revision` was migrated by a newer release than this code."""
    return revision is not None and revision not in known_revisions()


def check_not_ahead(engine: Engine) -> None:
    """Refuse, before alembic touches it, a database this code would migrate backwards or break."""
    current = current_revision(engine)
    if is_ahead(current):
        raise SchemaAheadError(
            f"the database is at schema revision {current!r}, which this version of "
            f"SuperInsight does not know (its newest is {head_revision()!r}); "
            "upgrade SuperInsight instead of running an older release against it"
        )
