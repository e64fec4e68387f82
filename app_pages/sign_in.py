"""Sign in: the only page a browser without a valid session can see."""

from __future__ import annotations

import streamlit as st

from superinsight.services.errors import AuthenticationError
from superinsight.services.security import sign_in, users
from ui.session import MESSAGE, TOKEN, client_address, resources, single_sign_on

st.title("Sign in to SuperInsight")
if message := st.session_state.pop(MESSAGE, None):
    st.info(message)

with st.form("sign_in"):
    workspace = st.text_input("Workspace", value=resources().settings.default_tenant)
    email = st.text_input("Email")
    password = st.text_input("Password", type="password")
    submitted = st.form_submit_button("Sign in", type="primary")

if single_sign_on():
    st.button("Sign in with single sign-on", on_click=st.login)

if submitted:
    try:
        signed_in = sign_in.sign_in(resources(), workspace.strip(), email, password, client_address())
    except AuthenticationError as exc:
        st.error(str(exc))
    else:
        st.session_state[TOKEN] = signed_in.token
        st.rerun()

if not users.has_users(resources(), workspace.strip() or resources().settings.default_tenant):
    st.caption(
        "This workspace has no accounts yet. Create the first admin with "
        "`superinsight create-admin`, or run `superinsight seed-demo` for the demo accounts."
    )
