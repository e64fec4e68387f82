"""A migration file's revision and the one before it, read without alembic (`superinsight health`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from superinsight.db import revisions
from superinsight.db.revisions import _stated


@pytest.mark.parametrize(
    ("source", "stated"),
    [
        ('revision: str = "0002"\ndown_revision: str | None = "0001"\n', ("0002", "0001")),
        ('revision = "0001"\ndown_revision = None\n', ("0001", None)),
        (
            '"""0003: docs."""\nimport x\nrevision = "0003"\ndown_revision = "0002"\nbranch_labels = None\n',
            ("0003", "0002"),
        ),
    ],
)
def test_a_migration_states_its_place_in_the_chain(
    tmp_path: Path, source: str, stated: tuple[str, str | None]
) -> None:
    path = tmp_path / "m.py"
    path.write_text(source)
    assert _stated(path) == stated


@pytest.mark.parametrize(
    "source",
    [
        'revision = "0002"\n',  # no down_revision: not a migration alembic could place
        'down_revision = "0001"\n',
        'revision = 2\ndown_revision = "0001"\n',
        'revision = "0003"\ndown_revision = ("0001", "0002")\n',  # a merge: this chain has none, and says so
    ],
)
def test_a_file_that_does_not_state_both_as_strings_is_refused(tmp_path: Path, source: str) -> None:
    path = tmp_path / "m.py"
    path.write_text(source)
    with pytest.raises(RuntimeError, match="does not state its revision"):
        _stated(path)


@pytest.fixture
def versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty migrations folder in place of the code's, read afresh."""
    (tmp_path / "versions").mkdir()
    monkeypatch.setattr(revisions, "MIGRATIONS_DIR", tmp_path)
    revisions.known_revisions.cache_clear()
    yield tmp_path / "versions"
    revisions.known_revisions.cache_clear()


def _migration(folder: Path, name: str, revision: str, down: str | None) -> None:
    (folder / name).write_text(f"revision = {revision!r}\ndown_revision = {down!r}\n")


def test_the_chain_is_read_as_alembic_reads_the_folder(versions: Path) -> None:
    _migration(versions, "0001_a.py", "0001", None)
    _migration(versions, "0002_b.py", "0002", "0001")
    (versions / "__init__.py").write_text("")  # alembic skips it, and an editor's lock file
    (versions / ".#0002_b.py").write_text("")
    assert revisions.known_revisions() == {"0001": None, "0002": "0001"}
    assert revisions.head_revision() == "0002"
    assert revisions.is_ahead("0003") and not revisions.is_ahead("0001") and not revisions.is_ahead(None)


@pytest.mark.parametrize(
    ("files", "refusal"),
    [
        ([("0001_a.py", "0001", None), ("0001_b.py", "0001", None)], "stated by two files"),
        ([("0002_b.py", "0002", "0001")], "not in"),
        (
            [("0001_a.py", "0001", None), ("0002_b.py", "0002", "0001"), ("0003_c.py", "0003", "0001")],
            "one newest",  # two branches from 0001
        ),
    ],
)
def test_a_chain_alembic_would_refuse_is_refused(
    versions: Path, files: list[tuple[str, str, str | None]], refusal: str
) -> None:
    for name, revision, down in files:
        _migration(versions, name, revision, down)
    with pytest.raises(RuntimeError, match=refusal):
        revisions.head_revision()
