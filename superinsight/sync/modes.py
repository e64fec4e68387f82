"""Sync modes, named as Airbyte names them, and what each does to documents already there."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    name: str
    label: str
    incremental: bool
    updates_existing: bool
    deletes_missing: bool
    help: str


MODES: dict[str, Mode] = {
    mode.name: mode
    for mode in (
        Mode(
            "full_refresh_overwrite",
            "Full refresh | Overwrite",
            incremental=False,
            updates_existing=True,
            deletes_missing=True,
            help="Reads everything; documents no longer at the source are removed after a successful run.",
        ),
        Mode(
            "full_refresh_append",
            "Full refresh | Append",
            incremental=False,
            updates_existing=False,
            deletes_missing=False,
            help="Reads everything; adds records not seen before and never changes documents already here.",
        ),
        Mode(
            "incremental_append",
            "Incremental | Append",
            incremental=True,
            updates_existing=False,
            deletes_missing=False,
            help="Reads records past the cursor; adds new ones, leaves documents already here unchanged.",
        ),
        Mode(
            "incremental_dedup",
            "Incremental | Deduped",
            incremental=True,
            updates_existing=True,
            deletes_missing=False,
            help="Reads records past the cursor; updates a document whose record (by primary key) changed.",
        ),
    )
}


def mode(name: str) -> Mode:
    try:
        return MODES[name]
    except KeyError:
        raise ValueError(f"sync mode must be one of {', '.join(MODES)}") from None
