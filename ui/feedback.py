"""What every page says the same way: its header, a service's refusal, a chosen section, user text.

- `header` opens a page: where you are and what you can do here.
- `refusals` turns a `ServiceError` into the page's message (what was wrong, nothing
  changed); a page never writes its own try/except for one.
- `section` is a selector for the parts of a page whose content costs a query:
  unlike `st.tabs`, only the chosen part runs.
- `md` escapes text a person typed (titles, names, ids) before it goes into markdown.
- `plural` says a count with the noun that agrees with it; `ago` how old a figure is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import streamlit as st

from superinsight.documents.snippets import MARK_END, MARK_START
from superinsight.services.errors import ServiceError
from superinsight.vocabulary import plural as plural  # the one plural helper; pages import it from here

T = TypeVar("T")

# Everything markdown (and Streamlit's :color[...] / :emoji: directives and $math$) reads specially.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$&]|:(?=\S))")
# What starts a block at the start of a line: a bullet, an ordered list's `1.` or `1)`.
_LINE_START = re.compile(r"^(?:([-+])|(\d+)([.)]))")
# GitHub's autolink literals (`www.`, `scheme://`, `name@domain`) are found in the rendered text,
# after backslash escapes are undone, so no escape stops them: an invisible word joiner inside
# each trigger does, and the text still reads and wraps the same.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?<=www)(?=\.)|(?<=:)(?=//)|(?=@)", re.IGNORECASE)


def ago(moment: datetime) -> str:
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    return (
        "just now"
        if seconds < 60
        else f"{seconds // 60} min ago"
        if seconds < 3600
        else f"{seconds // 3600} h ago"
    )


def md(text: object) -> str:
    """`text` as literal characters inside markdown: no emphasis, links, HTML, math or directives.

    One line (a line break would start a new block), without the leading indentation
    that would make it code; the text otherwise shows as typed.
    """
    line = " ".join(str(text).splitlines()).lstrip(" \t")
    escaped = _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, line))
    return _LINE_START.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", escaped
    )


def highlighted(snippet: str) -> str:
    """A search snippet as markdown: its «marked» words highlighted, everything else literal text."""
    return md(snippet).replace(MARK_START, ":orange-background[").replace(MARK_END, "]")


def unmarked(snippet: str) -> str:
    """A snippet for a table cell, which cannot highlight: its marks dropped rather than shown as « »."""
    return snippet.replace(MARK_START, "").replace(MARK_END, "")


def header(title: str, caption: str) -> None:
    """The page's title and one line on what can be done here."""
    st.title(title)
    st.caption(caption)


@dataclass
class Outcome:
    """What became of the calls inside `refusals`: `refused` holds the error when one was raised."""

    refused: ServiceError | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


def said_once(key: str, *, escape: bool = False) -> None:
    """Show what the last action did (kept under `key` for the rerun it asked for), once.

    Its slot is drawn on every run, shown or not: a message present for one run and gone
    the next would shift every element after it, and Streamlit draws shifted elements as
    new ones (an expander below, opened, would close at the next click).
    """
    slot = st.empty()
    if key in st.session_state:
        message = st.session_state.pop(key)
        slot.success(md(message) if escape else message)


def refusal_text(exc: ServiceError, prefix: str | None = None) -> str:
    """The message for a refusal: the prefix, then the service's problem or its list of problems."""
    problems = [str(p) for p in getattr(exc, "problems", None) or [str(exc)]]
    if len(problems) == 1:
        return f"{prefix}: {md(problems[0])}" if prefix else md(problems[0])
    lead = f"{prefix}. Fix these first:" if prefix else "Fix these first:"
    return lead + "\n\n" + "\n".join(f"- {md(p)}" for p in problems)


@contextmanager
def refusals(prefix: str | None = None, *, stop: bool = False) -> Iterator[Outcome]:
    """Show a `ServiceError` raised inside as the page's error (and end the run when `stop`).

    with refusals("Not saved") as outcome:
        save(...)
    if outcome.ok: ...
    """
    outcome = Outcome()
    try:
        yield outcome
    except ServiceError as exc:
        outcome.refused = exc
        st.error(refusal_text(exc, prefix))
        if stop:
            st.stop()


def section(label: str, options: Sequence[T], key: str, default: T | None = None) -> T:
    """Which part of the page to draw; kept for the session, so coming back opens the same one.

    With a single part there is nothing to choose, and no selector is drawn.
    """
    if len(options) == 1:
        return options[0]
    chosen = st.segmented_control(
        label,
        list(options),
        default=options[0] if default is None else default,
        required=True,
        key=key,
        persist_state="session",
    )
    return options[0] if chosen is None else chosen
