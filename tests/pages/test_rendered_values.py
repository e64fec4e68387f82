"""No page shows Python's None or pandas' nan where a number, a date or 'not applied yet' belongs.

Issue 17: a new user read "None" in rule lists and match counts. Every page is drawn for
an admin over the demo (rules applied, sources scored, one rule never applied) and every
table cell, figure and line of text is read.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from superinsight.resources import get_resources
from superinsight.services.context import system_actor
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules.drafts import RuleDraft
from tests.pages.test_pages import _app, _seed

PAGES = (
    "overview",
    "documents",
    "sources",
    "sync",
    "rules",
    "insights",
    "quality",
    "graph",
    "health",
    "admin",
)
# "None" as a value: alone in a cell, after a colon or equals sign, or before a closing bracket.
NONE_AS_VALUE = re.compile(r"(^\s*(None|nan|NaN|NaT)\s*$)|([:=]\s*(None|nan|NaT)\b)|(\b(None|nan|NaT)\))")


def _bad(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and bool(NONE_AS_VALUE.search(value))


def _shown(at: AppTest) -> list[tuple[str, Any]]:
    """Every value the page drew: table cells, metric figures, text."""
    found: list[tuple[str, Any]] = []
    for frame in at.dataframe:
        if frame.proto.placeholder:
            continue  # missing cells show the page's placeholder (such as "—"), not None
        table = frame.value
        for column in table.columns:
            found += [
                (f"table column {column!r}", cell) for cell in table[column] if not isinstance(cell, list)
            ]
    for metric in at.metric:
        found.append((f"metric {metric.label!r}", metric.value))
    for kind in ("markdown", "caption", "info", "warning", "success", "error"):
        found += [(kind, element.value) for element in getattr(at, kind)]
    return found


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_none_or_nan(workbench_env: Path, page: str) -> None:
    _seed(60)
    rule_commands.create_rule(
        get_resources(), system_actor("demo"), RuleDraft("Never applied", {"!": {"var": "title"}})
    )
    at = _app("admin")
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    shown = _shown(at)
    # A page in parts draws one at a time: every part of every chooser on the page is read too.
    choosers = [(chooser.key, chooser.options) for chooser in at.segmented_control]
    for key, options in choosers:
        for option in options:
            at.segmented_control(key=key).set_value(option).run()
            assert not at.exception, (option, at.exception)
            shown += [(f"{option}: {where}", value) for where, value in _shown(at)]
    bad = [(where, value) for where, value in shown if _bad(value)]
    assert not bad, f"{page} shows None/nan: {bad[:5]}"
    assert page != "admin" or len(choosers) == 1, "the admin page's parts were all read"
