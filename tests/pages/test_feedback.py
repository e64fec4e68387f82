"""ui.feedback: user text escaped for markdown, refusals worded alike, pages shaped alike."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from superinsight.services.errors import InvalidInputError
from superinsight.services.rules.drafts import RuleInputError
from ui.feedback import highlighted, md, refusal_text, unmarked

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("overview", "documents", "sources", "sync", "rules", "insights", "quality", "health")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("**bold** _it_", r"\*\*bold\*\* \_it\_"),
        ("[click](http://evil.example)", r"\[click\](http\://evil.example)"),
        (":red[alarm] :smile:", r"\:red\[alarm\] \:smile:"),
        ("costs $5 and $6", r"costs \$5 and \$6"),
        ("`id`", r"\`id\`"),
        ("<b>x</b> &amp;", r"\<b\>x\</b\> \&amp;"),
        ("# heading", r"\# heading"),
        ("- item", r"\- item"),
        ("12. item", r"12\. item"),
        ("two\nlines", "two lines"),
        ("tickets.csv: 50 records (ok)", "tickets.csv: 50 records (ok)"),
    ],
)
def test_md_shows_what_was_typed(typed: str, shown: str) -> None:
    assert md(typed) == shown


def test_one_problem_follows_the_prefix() -> None:
    assert refusal_text(InvalidInputError("bad *path*"), "Not saved") == r"Not saved: bad \*path\*"
    assert refusal_text(InvalidInputError("bad")) == "bad"


def test_several_problems_are_listed() -> None:
    text = refusal_text(RuleInputError(["name: missing", "title > 5: wrong type"]), "Nothing was saved")
    assert text == "Nothing was saved. Fix these first:\n\n- name: missing\n- title \\> 5: wrong type"


@pytest.mark.parametrize("page", PAGES)
def test_a_page_module_only_defines_and_calls_show(page: str) -> None:
    tree = ast.parse((ROOT / "app_pages" / f"{page}.py").read_text())
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
        ("«x]» and [y](http://e)", r":orange-background[x\]] and \[y\](http\://e)"),
        ("no match here", "no match here"),
    ],
)
def test_a_snippet_s_marks_become_highlights_and_the_rest_stays_text(snippet: str, shown: str) -> None:
    assert highlighted(snippet) == shown


def test_a_table_cell_shows_a_snippet_without_its_marks() -> None:
    assert unmarked("a «refund» and «refunds»") == "a refund and refunds"
