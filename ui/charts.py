"""Names a person typed, made safe for plotly.

Plotly draws legend entries, hover text and tick labels as a small HTML dialect
(`<a href>`, `<b>`, `<br>`, `<span style>`), so a rule or source named with tags
would become a link or styled text. Escaping `&`, `<` and `>` makes plotly show the
characters themselves.
"""

from __future__ import annotations

import html

import pandas as pd


def as_text(names: pd.Series) -> pd.Series:
    """The column's values as plotly shows them literally."""
    return names.map(lambda name: html.escape(str(name), quote=False))
