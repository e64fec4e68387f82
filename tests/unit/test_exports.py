"""CSV exports cannot smuggle spreadsheet formulas, and stream line by line."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.exports import FORMULA_STARTS, csv_lines, safe_cell


@pytest.mark.parametrize("hostile", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_starts_are_neutralised(hostile: str) -> None:
    assert safe_cell(hostile) == "'" + hostile


@given(st.text())
def test_no_cell_ever_starts_a_formula_and_nothing_is_lost(text: str) -> None:
    cell = safe_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (text, "'" + text)


@given(
    st.lists(st.lists(st.text(max_size=20) | st.integers() | st.none(), min_size=2, max_size=2), max_size=20)
)
def test_lines_parse_back_to_the_safe_cells(rows: list[list[object]]) -> None:
    lines = list(csv_lines(["a", "b"], rows))
    assert len(lines) == len(rows) + 1
    parsed = list(csv.reader(io.StringIO("".join(lines))))
    assert parsed == [["a", "b"], *[[safe_cell(value) for value in row] for row in rows]]
