"""The annotator of a workbench with no Label Studio: every call says how to connect one.

Apart from the client (`labelstudio`), so a process that only checks health does not
import httpx and the SDK's pieces when Label Studio is not connected.
"""

from __future__ import annotations

from typing import Any

from superinsight.adapters.labelstudio_errors import LabelStudioNotConnectedError


class NotConnected:
    backend = "none"

    def ping(self) -> None:
        raise LabelStudioNotConnectedError()

    def version(self) -> str:
        raise LabelStudioNotConnectedError()

    def create_project(self, title: str, label_config: str) -> int:
        raise LabelStudioNotConnectedError()

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        raise LabelStudioNotConnectedError()

    def export_tasks(self, project_id: int) -> list[dict[str, Any]]:
        raise LabelStudioNotConnectedError()

    def delete_project(self, project_id: int) -> None:
        raise LabelStudioNotConnectedError()

    def project_url(self, project_id: int) -> str:
        raise LabelStudioNotConnectedError()

    def task_counts(self, project_id: int) -> tuple[int, int]:
        raise LabelStudioNotConnectedError()

    def user_emails(self) -> dict[int, str]:
        raise LabelStudioNotConnectedError()
