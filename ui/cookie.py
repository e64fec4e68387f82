"""Staying signed in across reloads and tabs: the session token in an HttpOnly cookie.

Streamlit's script sees the browser only through a websocket, and st.context.cookies
only reads the cookies of its opening request, so the cookie is set by an HTTP route
of the server (`serve.py` mounts `ROUTES` on st.App). The page cannot hand the token
itself to the browser's JavaScript without undoing HttpOnly, so it hands over a
one-time code instead: `remember()` files the token under a random code for a few
seconds, the page's script POSTs the code to /api/session, and the answer sets the
cookie (HttpOnly, SameSite=Strict, Secure over HTTPS, expiring with the session).
DELETE /api/session revokes the cookie's session and clears it; signing out and a
refused cookie both send it. The token never appears in a URL.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from superinsight.bootstrap import bootstrap
from superinsight.services.security import sign_in

COOKIE = "superinsight_session"
PATH = "/api/session"
HANDOFF_SECONDS = 30.0
_PENDING = "cookie_pending"  # session-state key: the script the next run hands the browser
_SPENT = "cookie_spent"  # session-state key: a cookie value this browser session must not use again


@dataclass(frozen=True)
class _Handoff:
    token: str
    expires_at: datetime
    deadline: float


_handoffs: dict[str, _Handoff] = {}
_lock = threading.Lock()


def _file(token: str, expires_at: datetime) -> str:
    """A one-time code for `token`, valid HANDOFF_SECONDS; expired codes are dropped on the way."""
    code = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _lock:
        for stale in [key for key, handoff in _handoffs.items() if handoff.deadline < now]:
            del _handoffs[stale]
        _handoffs[code] = _Handoff(token, expires_at, now + HANDOFF_SECONDS)
    return code


def _claim(code: str) -> _Handoff | None:
    with _lock:
        handoff = _handoffs.pop(code, None)
    return handoff if handoff is not None and handoff.deadline >= time.monotonic() else None


def _script(method: str, body: str = "") -> str:
    payload = f", body: {json.dumps(body)}" if body else ""
    return (
        f"<script>fetch({json.dumps(PATH)}, {{method: {json.dumps(method)}, credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'text/plain'}}{payload}}});</script>"
    )


def remember(token: str, expires_at: datetime) -> None:
    """After a sign-in: the next run has the browser store the session in the cookie."""
    st.session_state[_PENDING] = _script("POST", _file(token, expires_at))


def forget() -> None:
    """After a sign-out or a refused cookie: the next run has the browser clear the cookie."""
    if (held := cookie_token()) is not None:
        st.session_state[_SPENT] = held
    st.session_state[_PENDING] = _script("DELETE")


def _browser_cookies() -> Mapping[str, str]:
    """The cookies of the request that opened this browser session (none in AppTest or a bare run)."""
    try:
        return st.context.cookies
    except Exception:  # noqa: BLE001 - no request to read them from
        return {}


def cookie_token() -> str | None:
    """The token the browser's cookie held when this page was opened, unless it was spent since."""
    token = _browser_cookies().get(COOKIE)
    return token if isinstance(token, str) and token and token != st.session_state.get(_SPENT) else None


def hand_over() -> None:
    """Run the pending cookie script once, in a run that ends normally so the browser gets it."""
    if script := st.session_state.pop(_PENDING, None):
        st.html(script, unsafe_allow_javascript=True, width="content")


def _same_origin(request: Request) -> bool:
    """A cross-site page must not plant a session (login CSRF): the browser's Origin must be ours."""
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    return origin is None or origin.split("://", 1)[-1] == request.headers.get("host")


def _https(headers: Mapping[str, str], scheme: str) -> bool:
    return scheme == "https" or headers.get("x-forwarded-proto", "").split(",")[0].strip() == "https"


async def _store(request: Request) -> Response:
    handoff = _claim((await request.body()).decode("utf-8", "replace").strip())
    if not _same_origin(request) or handoff is None:
        return Response(status_code=403)
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        handoff.token,
        max_age=max(0, int((handoff.expires_at - datetime.now(UTC)).total_seconds())),
        path="/",
        secure=_https(request.headers, request.url.scheme),
        httponly=True,
        samesite="strict",
    )
    return response


def _clear(request: Request) -> Response:
    """Revoke the cookie's session (whatever the page did) and clear the cookie."""
    if not _same_origin(request):
        return Response(status_code=403)
    if token := request.cookies.get(COOKIE):
        sign_in.sign_out(bootstrap(), token)
    response = Response(status_code=204)
    response.delete_cookie(
        COOKIE, path="/", secure=_https(request.headers, request.url.scheme), httponly=True, samesite="strict"
    )
    return response


ROUTES = [Route(PATH, _store, methods=["POST"]), Route(PATH, _clear, methods=["DELETE"])]
