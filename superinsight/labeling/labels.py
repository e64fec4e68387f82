"""Reading Label Studio annotation results: the label names, and the entities marked in the text. Pure."""

from __future__ import annotations

from typing import Any

LABEL_KEYS = ("choices", "labels", "rectanglelabels", "taxonomy")


def _values(result: Any) -> list[dict[str, Any]]:
    if not isinstance(result, list):
        return []
    return [r["value"] for r in result if isinstance(r, dict) and isinstance(r.get("value"), dict)]


def label_names(result: Any) -> list[str]:
    """The label names in an annotation result, in order, without repeats (taxonomy paths joined by /)."""
    found: list[str] = []
    for value in _values(result):
        for key in LABEL_KEYS:
            labels = value.get(key)
            for label in labels if isinstance(labels, list) else []:
                text = label if isinstance(label, str) else "/".join(map(str, label))
                if text not in found:
                    found.append(text)
    return found


def entity_spans(result: Any) -> list[tuple[str, str]]:
    """Named entities marked in the text, as (label, text) pairs, in order, without repeats."""
    found: list[tuple[str, str]] = []
    for value in _values(result):
        labels = value.get("labels")
        text = value.get("text")
        if not isinstance(labels, list) or not isinstance(text, str):
            continue
        for label in labels:
            if isinstance(label, str) and (label, text) not in found:
                found.append((label, text))
    return found


def entity_labels(result: Any) -> list[str]:
    """Named entities marked in the text, as "LABEL: text", in order, without repeats."""
    return [f"{label}: {text}" for label, text in entity_spans(result)]
