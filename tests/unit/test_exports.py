"""CSV exports cannot smuggle spreadsheet formulas, quote what could split a cell, and stream line by line."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.exports import FORMULA_STARTS, SEPARATORS, csv_lines, quoted, safe_cell

STARTS = ["=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66", "\ufe62", "\ufe63", "\ufe6b"]
BLANKS = [
    "",
    " ",
    "   ",
    "\t",
    "\r",
    "\n",
    "\r\n",
    " \t ",
    "\u00a0",
    "\u3000",
    "\ufeff",
    "\u200b ",
    "\x0b",
    "\x0c",
]


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("body", ['HYPERLINK("http://x","y")', "1+2", "cmd|' /C calc'!A0", "SUM(A1:A9)"])
def test_a_formula_is_neutralised_after_any_leading_blanks(start: str, blank: str, body: str) -> None:
    hostile = blank + start + body
    assert safe_cell(hostile) == "'" + hostile


@given(st.text())
def test_no_cell_ever_starts_a_formula_even_after_blanks_and_nothing_is_lost(text: str) -> None:
    cell = safe_cell(text)
    assert cell in (text, "'" + text)
    assert (
        not cell.lstrip().lstrip("\ufeff\u200b\u200c\u200d\u2060\u00ad").lstrip().startswith(FORMULA_STARTS)
    )


@given(blank=st.sampled_from(BLANKS), start=st.sampled_from(STARTS), rest=st.text(max_size=10))
def test_the_property_holds_for_generated_spellings(blank: str, start: str, rest: str) -> None:
    assert safe_cell(blank + start + rest).startswith("'")


def test_numbers_stay_numbers() -> None:
    assert [safe_cell(v) for v in (-5, 3.5, -0.25, 0, None, True)] == ["-5", "3.5", "-0.25", "0", "", "True"]


@pytest.mark.parametrize("separator", SEPARATORS)
def test_every_cell_holding_a_separator_is_quoted(separator: str) -> None:
    cell = f"a{separator}b"
    assert quoted(cell).startswith('"') and quoted(cell).endswith('"')
    line = next(iter(csv_lines([cell, "x"], [])))
    assert line.startswith('"')


@pytest.mark.parametrize("cell", [" leading", "trailing ", "\u00a0nbsp"])
def test_blanks_at_either_end_are_quoted_so_no_spreadsheet_trims_them(cell: str) -> None:
    assert quoted(cell) == f'"{cell}"'


@given(
    st.lists(
        st.lists(
            st.text(max_size=20) | st.integers() | st.floats(allow_nan=False) | st.none(),
            min_size=2,
            max_size=2,
        ),
        max_size=20,
    )
)
def test_lines_parse_back_to_the_safe_cells(rows: list[list[object]]) -> None:
    lines = list(csv_lines(["a", "b"], rows))
    assert len(lines) == len(rows) + 1
    parsed = list(csv.reader(io.StringIO("".join(lines), newline="")))
    assert parsed == [["a", "b"], *[[safe_cell(value) for value in row] for row in rows]]


@given(st.lists(st.text(max_size=20), min_size=1, max_size=5), st.sampled_from([";", "\t", "|"]))
def test_a_spreadsheet_splitting_on_its_own_separator_sees_the_same_cells(
    cells: list[str], separator: str
) -> None:
    line = next(iter(csv_lines(cells, [])))
    parsed = next(csv.reader(io.StringIO(line, newline=""), delimiter=separator))
    # every cell holding that separator is quoted, so split on it the line is never more cells than written
    assert len(parsed) <= len(cells)
