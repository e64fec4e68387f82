"""How documents look to a rule: the fields a rule may name and a document's data for the evaluator."""

from __future__ import annotations

from typing import Any

from superinsight.db.models import Document
from superinsight.rules.sql import FieldMap

TEXT_FIELDS = ("title", "content", "external_id")
NUMBER_FIELDS = ("source_id",)
LIST_FIELDS = ("tags",)
OBJECT_FIELDS = ("metadata", "labels")


def document_fields() -> FieldMap:
    return FieldMap(
        text={"title": Document.title, "content": Document.content, "external_id": Document.external_id},
        numbers={"source_id": Document.source_id},
        json_objects={"metadata": Document.meta, "labels": Document.labels},
        string_arrays={"tags": Document.tags},
    )


def document_data(document: Document) -> dict[str, Any]:
    """The object a rule's `var` reads: the same names `document_fields` maps to columns."""
    return {
        "title": document.title,
        "content": document.content,
        "external_id": document.external_id,
        "source_id": document.source_id,
        "tags": document.tags,
        "metadata": document.meta,
        "labels": document.labels,
    }
