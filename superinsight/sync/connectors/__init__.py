"""Connectors by source type; `connect` is the one place a type becomes a connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from superinsight.guards import GuardError, check_connection_url
from superinsight.sync.connectors.base import Connector, ReadSpec, SourceError, SourceRecord
from superinsight.sync.connectors.database import DatabaseConnector
from superinsight.sync.connectors.files import FileConnector, FolderConnector
from superinsight.sync.connectors.http import HttpJsonConnector

CONNECTOR_TYPES = ("database", "csv", "jsonl", "folder", "http_json")

__all__ = ["CONNECTOR_TYPES", "Connector", "ReadSpec", "SourceError", "SourceRecord", "connect"]


def connect(
    source_type: str,
    config: dict[str, Any],
    credentials: dict[str, str],
    *,
    files_root: Path,
    allow_internal: bool,
) -> Connector:
    if source_type == "database":
        url = credentials.get("url", "")
        try:
            check_connection_url(url, allow_internal=allow_internal)
        except GuardError as exc:
            raise SourceError(str(exc)) from None
        return DatabaseConnector(url, config)
    if source_type in ("csv", "jsonl"):
        return FileConnector(files_root, config, source_type)
    if source_type == "folder":
        return FolderConnector(files_root, config)
    if source_type == "http_json":
        return HttpJsonConnector(config, credentials, allow_internal=allow_internal)
    raise SourceError(f"sources of type {source_type!r} are not synced (they are filled by uploads)")
