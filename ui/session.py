"""Per-browser-session facts every page needs: the resources and who is signed in."""

from __future__ import annotations

import streamlit as st
from streamlit import runtime

from superinsight.bootstrap import SchemaAheadError, bootstrap, start_in_process_scheduler
from superinsight.resources import Resources
from superinsight.services.context import Actor
from superinsight.services.errors import AuthenticationError
from superinsight.services.security import networks, sign_in
from superinsight.services.security.single_sign_on import sign_in_verified
from ui import cookie
from ui.feedback import md

TOKEN = "auth_token"  # noqa: S105 - the session-state key, not a secret
ACTOR = "auth_actor"
MESSAGE = "auth_message"
ENTERED = "entered_through_app"


@st.cache_resource(show_spinner="Preparing the database…")
def _prepared_resources() -> Resources:
    return bootstrap()


def resources() -> Resources:
    try:
        prepared = _prepared_resources()
    except SchemaAheadError as exc:
        st.error(f"The workbench cannot start: {md(str(exc))}")
        st.stop()
        raise
    if runtime.exists():
        start_in_process_scheduler(prepared)
    return prepared


def _peer() -> str | None:
    """The socket's peer. Streamlit's public `ip_address` hides loopback (a proxy on the same host)."""
    try:
        from streamlit.runtime.context import _get_client_context

        client = _get_client_context()
        peer = getattr(client, "remote_ip", None) if client is not None else None
    except Exception:  # noqa: BLE001 - a private API: without it, fall back to the public one
        peer = None
    if peer is None:
        peer = st.context.ip_address
    return peer if isinstance(peer, str) else None


def client_address() -> str | None:
    """The browser's address: the peer, or what a proxy in TRUSTED_PROXIES says it forwarded for."""
    try:
        forwarded = list(st.context.headers.get_all("X-Forwarded-For"))
    except Exception:  # noqa: BLE001 - no request headers (tests, a bare script run)
        forwarded = []
    return networks.client_address(_peer(), forwarded, resources().settings.trusted_proxy_networks)


def single_sign_on() -> bool:
    """Whether an identity provider is configured for st.login ([auth] in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def _from_identity_provider() -> str | None:
    """A session token for the person the identity provider signed in, if any."""
    if not single_sign_on() or not st.user.get("is_logged_in") or not st.user.get("email"):
        return None
    try:
        signed = sign_in_verified(
            resources(),
            resources().settings.default_tenant,
            str(st.user.get("email")),
            client_address(),
            # A signed claim; some providers send it as the string "true".
            email_verified=st.user.get("email_verified") in (True, "true"),
        )
    except AuthenticationError as exc:
        st.session_state[MESSAGE] = str(exc)
        st.logout()
        return None
    signed_in(signed)
    return signed.token


def signed_in(signed: sign_in.SignIn) -> None:
    """Keep a new sign-in for this browser session, and in the cookie for reloads and other tabs."""
    st.session_state[TOKEN] = signed.token
    cookie.remember(signed.token, signed.expires_at)


def authenticate() -> Actor | None:
    """Check this browser's session once per run; None means show the sign-in page."""
    token = st.session_state.get(TOKEN) or cookie.cookie_token() or _from_identity_provider()
    st.session_state.pop(ACTOR, None)
    if not token:
        return None
    try:
        actor = sign_in.resolve(resources(), token, client_address())
    except AuthenticationError as exc:
        st.session_state.pop(TOKEN, None)
        st.session_state[MESSAGE] = str(exc)
        cookie.forget()
        return None
    st.session_state[TOKEN] = token
    st.session_state[ACTOR] = actor
    return actor


def enter() -> None:
    """app.py's first call: from now on this session's runs start in app.py (see `through_app`)."""
    st.session_state[ENTERED] = True


def through_app() -> None:
    """Hand a page that Streamlit ran on its own to app.py, which signs in and lays out the pages.

    On a server where no session has run app.py yet, Streamlit serves a deep link to a file in
    pages/ by running that file alone (its older multipage mode, which the first st.navigation
    call ends). In that mode app.py is itself a page, so a page that finds this session never
    went through app.py switches to it: sign-in first, as for every other address.
    """
    if not st.session_state.get(ENTERED):
        st.switch_page("app.py")


def current_actor() -> Actor:
    """Who is signed in; app.py has checked it this run before any page draws."""
    through_app()
    actor = st.session_state.get(ACTOR)
    if not isinstance(actor, Actor):
        st.stop()
        raise RuntimeError("unreachable: st.stop() ends the run")
    return actor


def guard(*any_of: str, refusal: str = "Your role may not open this page; ask an admin for access.") -> Actor:
    """Every page's first call: who is signed in, who must hold one of `any_of` (when given).

    app.py offers a role only the pages it may open; this holds for an address typed by hand too.
    """
    actor = current_actor()
    if any_of and not any(actor.can(permission) for permission in any_of):
        st.warning(refusal)
        st.stop()
    return actor


def sign_out() -> None:
    """End the session on the server and have the browser clear its cookie: every tab is signed out."""
    token = st.session_state.pop(TOKEN, None)
    if token:
        sign_in.sign_out(resources(), token)
    st.session_state.pop(ACTOR, None)
    cookie.forget()
    if single_sign_on() and st.user.get("is_logged_in"):
        st.logout()
