"""Label Studio through `label-studio-sdk`, or a stand-in that explains how to connect one.

`ping` and `version` speak plain HTTP: `superinsight health` runs them every few seconds
in a container, and the SDK's client loads its every module (about 2 s) when imported.
The client is built on the first call that needs it, so a process that only checks
health, or never calls Label Studio, does not pay for it.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

import httpx
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.core.request_options import RequestOptions

from superinsight.adapters.labelstudio_errors import (
    API_KEY_KIND,
    KeyRefusedError,
    LabelStudioError,
)

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

EXPORT_SECONDS = 600
HEALTH_SECONDS = 5.0


ACCESS_MARGIN = timedelta(seconds=30)
"""An access token this close to its expiry is renewed first, so a request never carries a lapsed one."""


# What a call to a connected Label Studio may raise besides the two errors above.
CALL_ERRORS: tuple[type[Exception], ...] = (ApiError, httpx.HTTPError)


def failure_message(exc: Exception) -> str:
    """What went wrong, in words that name the problem (never the key itself)."""
    if isinstance(exc, ApiError) and exc.status_code in (401, 403):
        return (
            f"Label Studio refused the API key (HTTP {exc.status_code}): set LABEL_STUDIO_API_KEY to "
            f"{API_KEY_KIND}"
        )
    if isinstance(exc, ApiError):
        return f"Label Studio refused the request (HTTP {exc.status_code}): {_said(exc.body)[:300]}"
    if isinstance(exc, httpx.HTTPError):
        return (
            f"Label Studio could not be reached ({type(exc).__name__}); check LABEL_STUDIO_URL and the server"
        )
    return str(exc)


def _said(body: object) -> str:
    """What Label Studio's answer says: its `detail` and field errors, not the shape Python gives them."""
    if not isinstance(body, dict):
        return str(body)
    parts = [str(body["detail"])] if body.get("detail") else []
    fields = body.get("validation_errors")
    for field, problems in (fields if isinstance(fields, dict) else {}).items():
        parts.append(f"{field}: {'; '.join(map(str, problems)) if isinstance(problems, list) else problems}")
    return " — ".join(parts) or str(body)


def auth_scheme(api_key: str, now: datetime) -> Literal["Token", "Bearer"]:
    """How label-studio-sdk 2.1.2 authenticates with this key (its `TokensClientExt._use_legacy_token`).

    The SDK decodes the key as a JWT without verifying it. Anything that is not a JWT is a
    legacy token, sent as `Token <key>`; a JWT is a personal access token (a refresh token)
    that is exchanged for an access token, sent as `Bearer <access>`. A JWT without an
    expiry, or past it, the SDK refuses before sending anything (its ApiError 401): so here.
    """
    if api_key.count(".") < 2:  # PyJWT's "Not enough segments", without importing it (35 ms)
        return "Token"
    import jwt  # PyJWT, which label-studio-sdk also decodes keys with

    try:
        claims = jwt.decode(api_key, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return "Token"
    expiration = claims.get("exp")
    if expiration is None:
        raise KeyRefusedError("the API key was refused (HTTP 401): a JWT without an expiry")
    if datetime.fromtimestamp(expiration, UTC) < now:
        raise KeyRefusedError("the API key was refused (HTTP 401): the JWT has expired")
    return "Bearer"


def _answered(response: httpx.Response) -> None:
    """A refused key named with its status, as the SDK's ApiError was; any other failure by its path."""
    if response.status_code in (401, 403):
        raise KeyRefusedError(f"the API key was refused (HTTP {response.status_code})")
    if not response.is_success:
        raise LabelStudioError(f"{response.request.url.path} answered {response.status_code}")


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


class LabelStudioAnnotator:
    backend = "label-studio"

    def __init__(self, base_url: str, api_key: str, timeout_seconds: float = 30.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout_seconds = timeout_seconds
        self._access: tuple[str, datetime] | None = None  # a JWT key's access token and its expiry

    @cached_property
    def _client(self) -> LabelStudio:
        """The SDK client, imported and built on first use: the import alone takes about 2 s."""
        from label_studio_sdk import LabelStudio

        return LabelStudio(  # type: ignore[no-untyped-call]
            base_url=self._base_url, api_key=self._api_key, timeout=self._timeout_seconds
        )

    @cached_property
    def _http(self) -> httpx.Client:
        """One pool for ping, version and the key exchange, kept: a new client loads the CA bundle (0.1 s)."""
        return httpx.Client(timeout=self._timeout_seconds, follow_redirects=True)

    def _authorization(self) -> str:
        """The Authorization header the SDK would send: see `auth_scheme`.

        A JWT key is exchanged at /api/token/refresh/ as the SDK does, and the access token is
        kept until it expires. The SDK joins that path to the base URL with `urljoin`, which
        drops a path prefix (`http://host/ls`); here it is appended like every other path.
        """
        now = datetime.now(UTC)
        if auth_scheme(self._api_key, now) == "Token":
            return f"Token {self._api_key}"
        if self._access is None or self._access[1] <= now + ACCESS_MARGIN:
            # Never redirected: a 307/308 would send the body, the long-lived key, to any address.
            response = self._http.post(
                f"{self._base_url}/api/token/refresh/",
                json={"refresh": self._api_key},
                follow_redirects=False,
            )
            _answered(response)
            access = str(response.json()["access"])
            import jwt

            expiry = jwt.decode(access, options={"verify_signature": False}).get("exp")
            self._access = (access, datetime.fromtimestamp(expiry, UTC) if expiry else now)
        return f"Bearer {self._access[0]}"

    def ping(self) -> None:
        """Up is not enough: the key must be accepted too, or every later call fails.

        The key is checked with the request the SDK's `projects.list(page_size=1)` sends, over
        plain httpx so a health check does not import the SDK's client; no retries, unlike the
        SDK, so a struggling server is reported within the probe's deadline.
        """
        response = self._http.get(f"{self._base_url}/health", timeout=HEALTH_SECONDS, follow_redirects=False)
        if response.status_code != 200 or response.json().get("status") != "UP":
            raise LabelStudioError(f"/health answered {response.status_code}")
        response = self._http.get(
            f"{self._base_url}/api/projects/",
            params={"page": 1, "page_size": 1},
            headers={"Authorization": self._authorization()},
        )
        _answered(response)

    def version(self) -> str:
        """The server's release, which an operator compares with what the workbench was tested against.

        /api/version/ is public (a plain Django view; a wrong key is ignored there), so no key is
        sent: the version is known even when the key is refused, and a JWT key is not exchanged.
        """
        response = self._http.get(f"{self._base_url}/api/version/")
        if not response.is_success:  # no key was sent: a 401 here is not the key's
            raise LabelStudioError(f"/api/version/ answered {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise LabelStudioError("/api/version/ did not answer JSON") from None
        return str((answer.get("release") if isinstance(answer, dict) else None) or "unknown")

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
