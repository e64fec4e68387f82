"""Reaching Label Studio: its state for the page, and its failures as messages that name the problem."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from superinsight.adapters.labelstudio import CALL_ERRORS, failure_message
from superinsight.adapters.labelstudio_errors import (
    API_KEY_KIND,
    LabelStudioError,
    LabelStudioNotConnectedError,
)
from superinsight.resources import Resources
from superinsight.services.context import Actor, internal, require
from superinsight.services.errors import ServiceError

HOW_TO_CONNECT = (
    "Set LABEL_STUDIO_URL (e.g. http://localhost:8080) and LABEL_STUDIO_API_KEY "
    f"({API_KEY_KIND}) in the environment or .env, then restart the workbench."
)


class LabelingUnavailableError(ServiceError):
    """Label Studio is not configured, not reachable, or refused the call; the message says which."""


@dataclass(frozen=True)
class ConnectionState:
    connected: bool
    message: str


@contextmanager
@internal("turns Label Studio's failures into messages inside guarded calls; checks and reads nothing")
def reaching_label_studio() -> Iterator[None]:
    try:
        yield
    except LabelStudioNotConnectedError as exc:
        raise LabelingUnavailableError(str(exc)) from None
    except LabelStudioError as exc:
        raise LabelingUnavailableError(failure_message(exc)) from None
    except CALL_ERRORS as exc:
        raise LabelingUnavailableError(failure_message(exc)) from None


@internal("says whether the settings name a Label Studio; reads no workspace data, asks no server")
def configured(resources: Resources) -> bool:
    return resources.annotator.backend != "none"


def connection_state(resources: Resources, actor: Actor) -> ConnectionState:
    """Whether Label Studio answers with the configured key, and if not, what to do about it."""
    require(actor, "labeling.launch")
    if not configured(resources):
        # Connecting is done where the workbench is deployed: only an admin is told how.
        how = HOW_TO_CONNECT if actor.can("workspace.manage") else "Ask an admin to connect it."
        return ConnectionState(False, f"Label Studio is not connected. {how}")
    try:
        with reaching_label_studio():
            resources.annotator.ping()
    except LabelingUnavailableError as exc:
        return ConnectionState(False, str(exc))
    return ConnectionState(True, "Label Studio is connected.")
