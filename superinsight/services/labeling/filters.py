"""A labels filter for document queries: documents annotators gave any of some labels.

Kept here, beside the labels it reads, for the Documents search to add to its
filters (`services/documents/search.filtered_documents` is the lead's to change).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, or_

from superinsight.db.models import Document
from superinsight.rules.sql import METADATA_KEY
from superinsight.rules.sqlfuncs import json_number
from superinsight.services.context import internal
from superinsight.services.errors import InvalidInputError
from superinsight.services.inputs import values


@internal("builds a condition for a query inside a guarded call and reads nothing itself")
def labelled_with(names: Sequence[str]) -> ColumnElement[bool]:
    """True for documents at least one pulled annotation gave one of `names` (named as rules name them)."""
    checked = values(list(names), "labels")
    bad = [name for name in checked if not isinstance(name, str) or not METADATA_KEY.match(name)]
    if bad:
        raise InvalidInputError(f"label {str(bad[0])[:40]!r}: filter on labels of letters, digits and _")
    if not checked:
        return false()
    return or_(*(json_number(Document.labels, (name,)) > 0 for name in checked))
