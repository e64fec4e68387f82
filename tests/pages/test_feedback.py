"""ui.feedback: user text escaped for markdown, refusals worded alike, pages shaped alike."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.services.errors import InvalidInputError
from superinsight.services.rules.drafts import RuleInputError
from ui.feedback import WORD_JOINER, highlighted, md, refusal_text, unmarked

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("overview", "documents", "sources", "sync", "rules", "insights", "quality", "health")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("**bold** _it_", r"\*\*bold\*\* \_it\_"),
        ("[click](http://evil.example)", "\\[click\\](http\\:\u2060//evil.example)"),
        (":red[alarm] :smile:", r"\:red\[alarm\] \:smile:"),
        ("costs $5 and $6", r"costs \$5 and \$6"),
        ("`id`", r"\`id\`"),
        ("<b>x</b> &amp;", r"\<b\>x\</b\> \&amp;"),
        ("# heading", r"\# heading"),
        ("- item", r"\- item"),
        ("12. item", r"12\. item"),
        ("1) item", r"1\) item"),
        ("    indented code", "indented code"),
        ("\t- item", r"\- item"),
        ("www.evil.example/login", "www\u2060.evil.example/login"),
        ("WWW.evil.example", "WWW\u2060.evil.example"),
        ("bob@evil.example", "bob\u2060@evil.example"),
        ("https://evil.example", "https\\:\u2060//evil.example"),
        ("two\nlines", "two lines"),
        ("tickets.csv: 50 records (ok)", "tickets.csv: 50 records (ok)"),
    ],
)
def test_md_shows_what_was_typed(typed: str, shown: str) -> None:
    assert md(typed) == shown


# What remark-gfm (Streamlit's markdown) turns into a link in a rendered text node, after escapes
# are undone: its two patterns, without the check of the character before (so a superset).
_GFM_URL = re.compile(r"(https?://|www(?=\.))[-.\w]+", re.IGNORECASE | re.ASCII)
_GFM_EMAIL = re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+", re.ASCII)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _rendered_text(markdown: str) -> str:
    """The text node markdown makes of an escaped line: each backslash escape undone."""
    return _ESCAPE.sub(r"\1", markdown)


link_bits = st.sampled_from(
    ["www.", "WwW.", "http://", "HTTPS://", "ftp://", "@", ".", ":", "mailto:", "/", "-"]
)
typed_text = st.lists(st.text(alphabet="abw. @:/-_+19)\t\n", max_size=6) | link_bits, max_size=8).map("".join)


@given(typed_text)
def test_md_leaves_no_autolink_and_shows_the_same_characters(typed: str) -> None:
    shown = _rendered_text(md(typed))
    assert not _GFM_URL.search(shown) and not _GFM_EMAIL.search(shown), shown
    assert shown.replace(WORD_JOINER, "") == " ".join(typed.splitlines()).lstrip(" \t")
    assert not re.match(r"\d+[.)]|[-+*] |\s", md(typed)), "no list, no indented code"


def test_one_problem_follows_the_prefix() -> None:
    assert refusal_text(InvalidInputError("bad *path*"), "Not saved") == r"Not saved: bad \*path\*"
    assert refusal_text(InvalidInputError("bad")) == "bad"


def test_several_problems_are_listed() -> None:
    text = refusal_text(RuleInputError(["name: missing", "title > 5: wrong type"]), "Nothing was saved")
    assert text == "Nothing was saved. Fix these first:\n\n- name: missing\n- title \\> 5: wrong type"


@pytest.mark.parametrize("page", PAGES)
def test_a_page_module_only_defines_and_calls_show(page: str) -> None:
    tree = ast.parse((ROOT / "pages" / f"{page}.py").read_text())
    statements = [
        node
        for node in tree.body
        if not isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)
        and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))  # the docstring
        and not (isinstance(node, ast.Assign | ast.AnnAssign) and not isinstance(node.value, ast.Call))
    ]
    assert [ast.unparse(node) for node in statements] == ["show()"]


@pytest.mark.parametrize(
    ("snippet", "shown"),
    [
        ("a «refund» was asked", "a :orange-background[refund] was asked"),
        ("«x]» and [y](http://e)", ":orange-background[x\\]] and \\[y\\](http\\:\u2060//e)"),
        ("no match here", "no match here"),
    ],
)
def test_a_snippet_s_marks_become_highlights_and_the_rest_stays_text(snippet: str, shown: str) -> None:
    assert highlighted(snippet) == shown


def test_a_table_cell_shows_a_snippet_without_its_marks() -> None:
    assert unmarked("a «refund» and «refunds»") == "a refund and refunds"
