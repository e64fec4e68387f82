"""Finding a page's tables by what they hold, not by their place among the page's other tables."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest


def found_documents(at: AppTest) -> pd.DataFrame:
    """The Documents page's page of hits: the one table with an external_id column (the facet
    counts above it are tables too)."""
    [hits] = [table.value for table in at.dataframe if "external_id" in table.value.columns]
    return hits
