"""Connectors by source type; `connect` is the one place a type becomes a connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from superinsight.sync.connectors.address import AddressError, database_target, http_target
from superinsight.sync.connectors.base import Connector, ReadSpec, SourceError, SourceRecord
from superinsight.sync.connectors.database import DatabaseConnector
from superinsight.sync.connectors.files import FileConnector, FolderConnector
from superinsight.sync.connectors.http import HttpJsonConnector
from superinsight.vocabulary import SYNCED_SOURCE_TYPES

__all__ = ["SYNCED_SOURCE_TYPES", "Connector", "ReadSpec", "SourceError", "SourceRecord", "connect"]


def connect(
    source_type: str,
    config: dict[str, Any],
    credentials: dict[str, str],
    *,
    files_root: Path,
    allow_internal: bool,
    workbench_url: str,
) -> Connector:
    """The connector for a source.

    `files_root` is the workspace's own folder of files; `workbench_url` is the
    workbench's own database, never a source.
    """
    if source_type == "database":
        try:
            target = database_target(
                credentials.get("url", ""), allow_internal=allow_internal, workbench_url=workbench_url
            )
        except AddressError as exc:
            raise SourceError(str(exc)) from None
        return DatabaseConnector(target, config, workbench_url)
    if source_type in ("csv", "jsonl"):
        return FileConnector(files_root, config, source_type)
    if source_type == "folder":
        return FolderConnector(files_root, config)
    if source_type == "http_json":
        try:
            target = http_target(str(config.get("url") or ""), allow_internal=allow_internal)
        except AddressError as exc:
            raise SourceError(str(exc)) from None
        return HttpJsonConnector(target, config, credentials)
    raise SourceError(f"sources of type {source_type!r} are not synced (they are filled by uploads)")
