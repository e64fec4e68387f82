"""Which of a CSV file's columns most likely hold a document's id, title and content.

The upload form offers every column for each role; it starts from these guesses so a file
headed `title,content,tags` is not read with its titles as ids and its tags as content,
as picking by position did.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Names a column holding each part is often given, the likeliest first (compared without
# case, spaces, dashes or underscores, or as the last word of the column's name).
ID_NAMES = ("id", "externalid", "key", "ref", "reference", "number", "ticket", "uuid", "code")
TITLE_NAMES = ("title", "subject", "name", "summary", "headline", "heading")
CONTENT_NAMES = ("content", "body", "text", "description", "message", "details", "comment", "notes")
TAGS_COLUMN = "tags"  # a column of this name becomes the tags (comma or semicolon separated)


@dataclass(frozen=True)
class Columns:
    id: str
    title: str
    content: str


def _plain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _last_word(name: str) -> str:
    """`Ticket ID`, `ticket_id` and `ticketId` end in the word `id`; `paid` and `valid` do not."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)
    return words[-1].lower() if words else ""


def _named(header: Sequence[str], names: Sequence[str], taken: set[str]) -> str | None:
    """The free column whose name is likeliest for this part: equal to a name, else ending in
    one as a word of its own."""
    free = [column for column in header if column not in taken and column != TAGS_COLUMN]
    for matches in (_plain, _last_word):
        for name in names:
            for column in free:
                if matches(column) == name:
                    return column
    return None


def suggested(header: Sequence[str]) -> Columns:
    """Each part's column by its name; a part no name fits takes the first column left, in the
    order id, title, content (another part's when none is left: a title is as good an id as a
    person would pick)."""
    if not header:
        raise ValueError("a CSV file's header names at least one column")
    taken: set[str] = set()
    picks: dict[str, str | None] = {}
    for part, names in (("title", TITLE_NAMES), ("content", CONTENT_NAMES), ("id", ID_NAMES)):
        picks[part] = _named(header, names, taken)
        if picks[part] is not None:
            taken.add(str(picks[part]))
    for part in ("id", "title", "content"):
        if picks[part] is None:
            left = [column for column in header if column not in taken and column != TAGS_COLUMN]
            picks[part] = left[0] if left else next((p for p in picks.values() if p), header[0])
            taken.add(str(picks[part]))
    return Columns(id=str(picks["id"]), title=str(picks["title"]), content=str(picks["content"]))
