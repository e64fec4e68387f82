"""Sign in: the only page a browser without a valid session can see; also where a password is changed."""

from __future__ import annotations

import streamlit as st

from superinsight.services.errors import PasswordChangeRequiredError, ServiceError
from superinsight.services.security import passwords, sign_in, users
from ui.element_code import load_element_code
from ui.errors import shown
from ui.feedback import header, md
from ui.session import MESSAGE, client_address, resources, signed_in, single_sign_on, through_app

MUST_CHANGE = "sign_in_must_change_password"

through_app()
header(
    "Sign in to SuperInsight",
    "Sign in with your workspace account; it stays signed in on this browser until you sign out or it "
    "expires. You can also change your password here.",
)
if message := st.session_state.pop(MESSAGE, None):
    st.info(md(message))

with st.form("sign_in"):
    workspace = st.text_input("Workspace", value=resources().settings.default_tenant)
    email = st.text_input("Email")
    password = st.text_input("Password", type="password")
    submitted = st.form_submit_button("Sign in", type="primary")

if single_sign_on():
    st.button("Sign in with single sign-on", on_click=st.login)

if submitted:
    with shown():
        try:
            signed = sign_in.sign_in(resources(), workspace.strip(), email, password, client_address())
        except PasswordChangeRequiredError as exc:
            st.session_state[MUST_CHANGE] = (workspace.strip(), email)
            st.warning(md(str(exc)))
        except ServiceError as exc:
            st.error(md(str(exc)))
        else:
            signed_in(signed)
            st.rerun()

must_change = st.session_state.get(MUST_CHANGE)
with st.expander("Change your password", expanded=must_change is not None):
    with st.form("change_password", clear_on_submit=True):
        st.caption(f"A new password needs {passwords.POLICY}. Changing it signs you in.")
        known_workspace, known_email = must_change or (resources().settings.default_tenant, "")
        change_workspace = st.text_input("Workspace ", value=known_workspace)
        change_email = st.text_input("Email ", value=known_email)
        current = st.text_input("Current password", type="password")
        new = st.text_input("New password", type="password")
        repeated = st.text_input("New password again", type="password")
        change = st.form_submit_button("Save the new password")
    if change:
        with shown():
            if new != repeated:
                st.error("The two new passwords differ; nothing was changed.")
            else:
                try:
                    signed = sign_in.sign_in(
                        resources(),
                        change_workspace.strip(),
                        change_email,
                        current,
                        client_address(),
                        new_password=new,
                    )
                except ServiceError as exc:
                    st.error(f"Not changed: {md(str(exc))}")
                else:
                    st.session_state.pop(MUST_CHANGE, None)
                    signed_in(signed)
                    st.rerun()

# Only the configured workspace is asked about: answering for any name typed would tell a
# stranger which workspaces exist.
configured = resources().settings.default_tenant
if not users.has_users(resources(), configured):
    st.caption(
        f"Workspace {md(configured)} has no accounts yet. Create the first admin with "
        "`superinsight create-admin`, or run `superinsight seed-demo` for the demo accounts."
    )

load_element_code()
