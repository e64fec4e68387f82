"""Names spliced into Cypher are plain identifiers, whatever a caller passes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.lineage.values import GraphInputError, check_depth, check_name, check_properties


@given(st.text(max_size=80))
def test_check_name_accepts_only_identifiers(name: str) -> None:
    try:
        accepted = check_name("label", name)
    except GraphInputError:
        return
    assert accepted == name
    assert name[0].isascii() and name[0].isalpha()
    assert all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name)
    assert "`" not in name


@pytest.mark.parametrize("name", ["Doc`) DETACH DELETE (n", "a b", "1abc", "", "x" * 65, "Ünïcode"])
def test_hostile_names_are_refused(name: str) -> None:
    with pytest.raises(GraphInputError):
        check_name("label", name)


def test_properties_must_be_scalars_under_identifier_keys() -> None:
    assert check_properties({"ok": 1, "name": "x", "flag": True, "none": None}) == {
        "ok": 1,
        "name": "x",
        "flag": True,
        "none": None,
    }
    with pytest.raises(GraphInputError):
        check_properties({"nested": {"a": 1}})  # type: ignore[dict-item]
    with pytest.raises(GraphInputError):
        check_properties({"bad key": 1})


@pytest.mark.parametrize(("depth", "ok"), [(0, False), (1, True), (10, True), (11, False)])
def test_depth_is_bounded(depth: int, ok: bool) -> None:
    if ok:
        assert check_depth(depth) == depth
    else:
        with pytest.raises(GraphInputError):
            check_depth(depth)
