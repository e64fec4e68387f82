"""The upload form's first guess of a CSV file's id, title and content columns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.documents.columns import TAGS_COLUMN, Columns, suggested


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["title", "content", "tags"], Columns("title", "title", "content")),
        (["id", "title", "content"], Columns("id", "title", "content")),
        (["Ticket ID", "Subject", "Body", "region"], Columns("Ticket ID", "Subject", "Body")),
        (["body", "external_id", "Title"], Columns("external_id", "Title", "body")),
        (["a", "b", "c"], Columns("a", "b", "c")),
        (["region", "title", "tags", "notes"], Columns("region", "title", "notes")),
        (["only"], Columns("only", "only", "only")),
        (["customer", "paid", "title", "body"], Columns("customer", "title", "body")),
        (
            ["username", "email", "message", "ticket_number", "paid"],
            Columns("ticket_number", "username", "message"),
        ),
        (["postcode", "valid", "ticketId", "Title"], Columns("ticketId", "Title", "postcode")),
        (["Tags", "tags", "Body"], Columns("Tags", "Body", "Body")),
    ],
)
def test_columns_are_picked_by_name_then_in_order(header: list[str], expected: Columns) -> None:
    assert suggested(header) == expected


names = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8, unique=True)


@given(names)
def test_every_guess_is_a_column_of_the_file_and_distinct_while_columns_last(header: list[str]) -> None:
    guess = suggested(header)
    picked = [guess.id, guess.title, guess.content]
    assert set(picked) <= set(header)
    usable = [
        column for column in header if "".join(ch for ch in column.lower() if ch.isalnum()) != TAGS_COLUMN
    ]
    if len(usable) >= 3:
        assert len(set(picked)) == 3, "three columns to spare: three different ones"
        assert set(picked) <= set(usable), "the tags column is never read as a part"
