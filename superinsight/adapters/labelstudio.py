"""Label Studio through `label-studio-sdk`, or a stand-in that explains how to connect one."""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

import httpx
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.core.request_options import RequestOptions

EXPORT_SECONDS = 600


class LabelStudioNotConnectedError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "Label Studio is not connected: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY "
            "(a legacy API token from Account & Settings) and restart the workbench."
        )


class LabelStudioError(RuntimeError):
    """Label Studio answered, but not with what the workbench asked for."""


# What a call to a connected Label Studio may raise besides the two errors above.
CALL_ERRORS: tuple[type[Exception], ...] = (ApiError, httpx.HTTPError)


def failure_message(exc: Exception) -> str:
    """What went wrong, in words that name the problem (never the key itself)."""
    if isinstance(exc, ApiError) and exc.status_code in (401, 403):
        return (
            f"Label Studio refused the API key (HTTP {exc.status_code}): set LABEL_STUDIO_API_KEY to a "
            "legacy API token from Account & Settings"
        )
    if isinstance(exc, ApiError):
        return f"Label Studio refused the request (HTTP {exc.status_code}): {str(exc.body)[:300]}"
    if isinstance(exc, httpx.HTTPError):
        return (
            f"Label Studio could not be reached ({type(exc).__name__}); check LABEL_STUDIO_URL and the server"
        )
    return str(exc)


class Annotator(Protocol):
    backend: str

    def ping(self) -> None: ...

    def version(self) -> str: ...

    def create_project(self, title: str, label_config: str) -> int: ...

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]: ...

    def export_tasks(self, project_id: int) -> list[dict[str, Any]]: ...

    def delete_project(self, project_id: int) -> None: ...

    def project_url(self, project_id: int) -> str: ...

    def task_counts(self, project_id: int) -> tuple[int, int]: ...

    def user_emails(self) -> dict[int, str]: ...


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


class LabelStudioAnnotator:
    backend = "label-studio"

    def __init__(self, base_url: str, api_key: str, timeout_seconds: float = 30.0) -> None:
        # The client is imported here, when Label Studio is configured: it loads the SDK's every
        # module (about 2 s), which a workbench without Label Studio and `superinsight health` skip.
        from label_studio_sdk import LabelStudio

        self._base_url = base_url.rstrip("/")
        self._client = LabelStudio(  # type: ignore[no-untyped-call]
            base_url=self._base_url, api_key=api_key, timeout=timeout_seconds
        )

    def ping(self) -> None:
        """Up is not enough: the key must be accepted too, or every later call fails."""
        response = httpx.get(f"{self._base_url}/health", timeout=5.0)
        if response.status_code != 200 or response.json().get("status") != "UP":
            raise LabelStudioError(f"/health answered {response.status_code}")
        try:
            self._client.projects.list(page_size=1)
        except ApiError as exc:
            raise LabelStudioError(f"the API key was refused (HTTP {exc.status_code})") from None

    def version(self) -> str:
        """The server's release, which an operator compares with what the workbench was tested against."""
        return str(self._client.versions.get().release or "unknown")

    def create_project(self, title: str, label_config: str) -> int:
        project = self._client.projects.create(title=title, label_config=label_config)
        if project.id is None:
            raise LabelStudioError("Label Studio created a project without an id")
        return int(project.id)

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        response = self._client.projects.import_tasks(
            id=project_id,
            request=tasks,  # type: ignore[arg-type]  # plain task dicts are what the API takes
            return_task_ids=True,
        )
        # The typed response model omits task_ids; the server sends them as an extra field.
        task_ids = (response.model_extra or {}).get("task_ids") or []
        return [int(task_id) for task_id in task_ids]

    def export_tasks(self, project_id: int) -> list[dict[str, Any]]:
        """Every task with its annotations, through an export snapshot (create, poll, download, delete).

        A snapshot is built by Label Studio at its own pace, so a large project is not one
        request racing the client's timeout; the slow steps get EXPORT_SECONDS.
        """
        slow = RequestOptions(timeout_in_seconds=EXPORT_SECONDS)
        exports = self._client.projects.exports
        snapshot = exports.create(id=project_id, title="workbench pull", request_options=slow)
        if snapshot.id is None:
            raise LabelStudioError("Label Studio created an export without an id")
        try:
            deadline = time.monotonic() + EXPORT_SECONDS
            while (status := exports.get(id=project_id, export_pk=snapshot.id).status) not in (
                "completed",
                "failed",
            ):
                if time.monotonic() > deadline:
                    raise LabelStudioError(f"the export was not ready after {EXPORT_SECONDS} s")
                time.sleep(0.5)
            if status == "failed":
                raise LabelStudioError("Label Studio could not build the export")
            payload = b"".join(
                exports.download(
                    id=project_id, export_pk=snapshot.id, export_type="JSON", request_options=slow
                )
            )
        finally:
            exports.delete(id=project_id, export_pk=snapshot.id)
        exported = json.loads(payload)
        if not isinstance(exported, list):
            raise LabelStudioError("the JSON export was not a list of tasks")
        return exported

    def delete_project(self, project_id: int) -> None:
        self._client.projects.delete(id=project_id)

    def project_url(self, project_id: int) -> str:
        """Where an annotator opens the project's tasks."""
        return f"{self._base_url}/projects/{project_id}/data"

    def task_counts(self, project_id: int) -> tuple[int, int]:
        """(tasks, tasks with at least one annotation), as Label Studio counts them."""
        project = self._client.projects.get(id=project_id)
        return int(project.task_number or 0), int(project.num_tasks_with_annotations or 0)

    def user_emails(self) -> dict[int, str]:
        """Label Studio user ids (an annotation's `completed_by`) to their emails."""
        return {int(user.id): str(user.email) for user in self._client.users.list() if user.id is not None}
