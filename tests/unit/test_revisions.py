"""A migration file's revision and the one before it, read without alembic (`superinsight health`)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
