"""What `ping` makes of each answer: only a refused key is the key's fault.

The health page reports `token: refused` for a `KeyRefusedError` alone; a server failing
its own /health (or any other status) says so by path and leaves the key unjudged. The
answers are served by httpx's MockTransport: this is the adapter's reading of statuses,
which the real-server tests (test_labelstudio.py) cannot make Label Studio give.
"""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from superinsight.adapters.labelstudio import LabelStudioAnnotator
from superinsight.adapters.labelstudio_errors import KeyRefusedError, LabelStudioError

LEGACY_KEY = "0" * 40


def _annotator(health: int, projects: int) -> LabelStudioAnnotator:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            return httpx.Response(health, json={"status": "UP" if health == 200 else "DOWN"})
        assert request.headers["Authorization"] == f"Token {LEGACY_KEY}"
        return httpx.Response(projects, json={"results": []})

    annotator = LabelStudioAnnotator("http://label-studio.invalid", LEGACY_KEY)
    annotator.__dict__["_http"] = httpx.Client(transport=httpx.MockTransport(answer))
    return annotator


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_named_as_the_key(status: int) -> None:
    with pytest.raises(KeyRefusedError, match=rf"the API key was refused \(HTTP {status}\)"):
        _annotator(200, status).ping()


@pytest.mark.parametrize(
    ("health", "projects", "message"),
    [(503, 200, "/health answered 503"), (200, 500, "/api/projects/ answered 500")],
)
def test_a_failing_server_is_not_called_a_refused_key(health: int, projects: int, message: str) -> None:
    with pytest.raises(LabelStudioError, match=message) as raised:
        _annotator(health, projects).ping()
    assert not isinstance(raised.value, KeyRefusedError)


def test_an_accepted_key_pings_with_the_header_the_sdk_sends() -> None:
    assert _annotator(200, 200).ping() is None


def test_the_key_exchange_is_never_redirected() -> None:
    """A 307 would send the body (the long-lived key) again to any address; it is refused instead."""
    personal = jwt.encode(
        {"exp": int(time.time()) + 3600},
        "a signing secret of the server, 32 bytes or more",
        algorithm="HS256",
    )
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.path == "/health":
            return httpx.Response(200, json={"status": "UP"})
        return httpx.Response(307, headers={"Location": "http://elsewhere.invalid/collect"})

    annotator = LabelStudioAnnotator("http://label-studio.invalid", personal)
    annotator.__dict__["_http"] = httpx.Client(transport=httpx.MockTransport(answer), follow_redirects=True)
    with pytest.raises(LabelStudioError, match="/api/token/refresh/ answered 307"):
        annotator.ping()
    assert not any("elsewhere" in url for url in asked)
