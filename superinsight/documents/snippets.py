"""A snippet of a document's text around the searched words, made in Python from text already masked.

The databases make snippets themselves, from the stored text; for an actor
bound by masking rules that would highlight (and cut) the unmasked text, and a
mark inside a masked value or a cut through it could leave part of it readable.
So for them the snippet is made here, after masking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MARK_START, MARK_END = "«", "»"
WIDTH = 200


def snippet(text: str, words: Sequence[str], width: int = WIDTH) -> str:
    """A window of `text` around the first searched word, each word found marked «like this».

    Words match at word starts, ignoring case (the full-text indexes also match
    other forms of a word, so this marks the same places or fewer).
    """
    found = [word for word in words if word]
    pattern = (
        re.compile(r"\b(?:" + "|".join(re.escape(word) for word in found) + r")\w*", re.I) if found else None
    )
    first = pattern.search(text) if pattern else None
    start = max(0, (first.start() if first else 0) - width // 4)
    window = text[start : start + width]
    marked = (
        pattern.sub(lambda match: f"{MARK_START}{match.group(0)}{MARK_END}", window) if pattern else window
    )
    return ("…" if start > 0 else "") + marked + ("…" if start + width < len(text) else "")
