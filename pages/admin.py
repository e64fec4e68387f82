"""Admin: users and their roles, the IP allow-list, what each role may do, and the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import pandas as pd
import streamlit as st

from superinsight import masking
from superinsight.services.context import Actor
from superinsight.services.documents import masking as masking_rules
from superinsight.services.documents import sources
from superinsight.services.errors import ServiceError
from superinsight.services.permissions import PERMISSIONS
from superinsight.services.security import audit_log, passwords
from superinsight.services.security import networks as allow_list
from superinsight.services.security import users as accounts
from superinsight.services.security.audit_log import AuditFilter
from superinsight.vocabulary import ROLES
from ui.errors import shown
from ui.feedback import header, md, said_once, section
from ui.session import guard, resources

FLASH = "admin_flash"  # what the last change did, said after the rerun it asks for (a toast was lost)


def attempt(action: str, change: Callable[..., object], *args: object, rerun: bool = True) -> bool:
    """Run a change and say plainly whether it happened; `rerun=False` when more changes follow it."""
    try:
        change(*args)
    except ServiceError as exc:
        st.error(f"{action} failed: {md(str(exc))}")
        return False
    said = st.session_state.get(FLASH)
    st.session_state[FLASH] = f"{said} {action}: done." if said else f"{action}: done."
    if rerun:
        st.rerun()
    return True


def users_section(actor: Actor) -> None:
    """Every account, changing one, adding one, resetting a password."""
    users = accounts.list_users(resources(), actor)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "email": u.email,
                    "name": u.full_name,
                    "role": u.role,
                    "active": u.is_active,
                    "locked": u.locked,
                    "last sign-in": f"{u.last_login_at:%Y-%m-%d %H:%M} UTC" if u.last_login_at else "never",
                    "sources": ", ".join(u.limited_to) or "all",
                }
                for u in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    by_email = {u.email: u for u in users}
    left, right = st.columns(2)
    left.markdown("**Change a user**")
    # Kept for the session, as the filters below: switching to another part and back keeps them.
    email = left.selectbox("User", list(by_email), key="admin_user", persist_state="session")
    # The form opens on the chosen user's own values, so Apply changes only what was changed.
    with left.form("change_user"):
        user = by_email[email] if email else None
        mine = f"-{user.id}" if user else ""
        role = st.selectbox("Role", ROLES, index=ROLES.index(user.role) if user else 0, key=f"role{mine}")
        active = st.checkbox("Active", value=user.is_active if user else True, key=f"active{mine}")
        source_names = {s.name: s.id for s in sources.list_sources(resources(), actor)}
        limited = st.multiselect(
            "Limit to sources",
            list(source_names),
            default=[name for name in (user.limited_to if user else []) if name in source_names],
            placeholder="all sources",
            help="Leave empty for access to every source.",
            key=f"limits{mine}",
        )
        if st.form_submit_button("Apply") and user:
            limits = [source_names[name] for name in limited]
            changes = [
                change
                for change, wanted in (
                    (("Role change", accounts.set_role, role), role != user.role),
                    (
                        ("Source access", accounts.limit_to_sources, limits),
                        limited != user.limited_to,
                    ),
                    (("Activation", accounts.set_user_active, active), active != user.is_active),
                )
                if wanted
            ]
            done = [
                attempt(name, change, resources(), actor, user.id, value, rerun=False)
                for name, change, value in changes
            ]
            if done and all(done):
                st.rerun()
            elif FLASH in st.session_state:  # a failure stays on screen, and what did go through beside it
                st.success(st.session_state.pop(FLASH))
    with right.form("new_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        new_email = st.text_input("Email")
        new_role = st.selectbox("Role ", ROLES, index=ROLES.index("viewer"))
        new_password = st.text_input(
            "Initial password",
            type="password",
            help=f"A password needs {passwords.POLICY}.",
        )
        if st.form_submit_button("Add"):
            attempt(
                "Adding the user",
                accounts.create_user,
                resources(),
                actor,
                new_email,
                new_password,
                new_role,
            )

    with st.form("reset_password", clear_on_submit=True):
        st.markdown("**Reset a password**")
        st.caption(
            "The user must choose a new password at their next sign-in; their open sessions end. "
            f"A password needs {passwords.POLICY}."
        )
        reset_email = st.selectbox("User ", list(by_email))
        reset_to = st.text_input("Temporary password", type="password")
        if st.form_submit_button("Reset") and reset_email:
            attempt(
                "Password reset",
                accounts.reset_password,
                resources(),
                actor,
                by_email[reset_email].id,
                reset_to,
            )


def networks_section(actor: Actor) -> None:
    """The addresses that may sign in to this workspace."""
    networks = allow_list.list_networks(resources(), actor)
    if networks:
        st.caption("Only these addresses can sign in to this workspace.")
        for network_id, cidr, description in networks:
            cidr_col, text_col, remove_col = st.columns([2, 4, 1])
            cidr_col.code(cidr, language=None)
            text_col.markdown(md(description) if description else "—")
            if remove_col.button("Remove", key=f"net_{network_id}"):
                attempt("Removing the entry", allow_list.remove_network, resources(), actor, network_id)
    else:
        st.info("No entries: every address may sign in. Add one to restrict sign-ins to your networks.")
    with st.form("add_network", clear_on_submit=True):
        cidr = st.text_input("Address or network", placeholder="10.0.0.0/8")
        description = st.text_input("What it is", placeholder="office VPN")
        if st.form_submit_button("Add"):
            attempt("Adding the network", allow_list.allow_network, resources(), actor, cidr, description)


def masking_section(actor: Actor) -> None:
    """What each role is not shown, and hiding one more field or pattern."""
    existing = masking_rules.masking_rules(resources(), actor)
    if existing:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "name": name,
                        "field": r.field,
                        "pattern": r.pattern,
                        "method": r.method,
                        "also shown to": ", ".join(sorted(r.unmasked_roles)),
                        "text search": "off for the roles it binds"
                        if r.pattern is not None and masking.sql_pattern(r.pattern) is None
                        else "",
                    }
                    for name, r in existing
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(
            "A pattern is also taken out of what its roles' searches look at. One the database "
            "cannot apply (`\\b`, flags such as `(?i)`, Unicode classes) turns their text search "
            "off; write it with classes instead (`[0-9]{4}` rather than `\\b\\d{4}\\b`)."
        )
    else:
        st.info("No masking rules: every role with access to documents sees every value.")
    with st.form("add_mask", clear_on_submit=True):
        st.markdown("**Hide a field, or text matching a pattern, from roles without unmasked access**")
        mask_name = st.text_input("Name", placeholder="Customer names")
        target = st.radio("Hide", ["a field", "text matching a pattern"], horizontal=True)
        spec = st.text_input("Field or pattern", placeholder="metadata.customer")
        method = st.selectbox("How", masking.METHODS)
        shown_to = st.multiselect("Still shown to", ROLES)
        if st.form_submit_button("Add"):
            rule = masking.MaskingRule(
                spec if target == "a field" else None,
                spec if target != "a field" else None,
                method,
                frozenset(shown_to),
            )
            attempt(
                "Adding the masking rule",
                masking_rules.add_masking_rule,
                resources(),
                actor,
                mask_name,
                rule,
            )


def roles_section(_actor: Actor) -> None:
    """What each role may do: the same for every workspace, so anyone on the page may read it."""
    granted = accounts.role_permissions(resources())
    matrix = pd.DataFrame(
        [
            {
                "permission": code,
                "means": text,
                **{role: code in granted.get(role, ()) for role in ROLES},
            }
            for code, text in PERMISSIONS.items()
        ]
    )
    st.dataframe(
        matrix,
        hide_index=True,
        width="stretch",
        column_config={role: st.column_config.CheckboxColumn(role) for role in ROLES},
    )


def audit_section(actor: Actor) -> None:
    """Who changed what, filtered, and exported as CSV."""
    a, b, c, d = st.columns(4)
    filters = AuditFilter(
        action=a.text_input("Action starts with", placeholder="rule.", **_kept("audit_action")) or None,
        user_email=b.text_input("User email", **_kept("audit_user")) or None,
        entity_type=c.text_input("Entity", placeholder="business_rule", **_kept("audit_entity")) or None,
        since=datetime.combine(day, time.min, UTC)
        if (day := d.date_input("Since", value=None, **_kept("audit_since")))
        else None,
    )
    rows = audit_log.search(resources(), actor, filters)
    if rows:
        st.dataframe(
            pd.DataFrame(
                [
                    r.__dict__
                    | {
                        # No user: the workbench itself acted (the demo, a scheduled job).
                        "user": r.user or "system",
                        "before": _readable(r.before),
                        "after": _readable(r.after),
                    }
                    for r in rows
                ],
            ),
            hide_index=True,
            width="stretch",
            placeholder="—",
            column_config={"at": st.column_config.DatetimeColumn("at", format="YYYY-MM-DD HH:mm:ss")},
        )
        st.download_button(
            "Export as CSV",
            data=lambda: "".join(audit_log.export_csv(resources(), actor, filters)),
            file_name="audit-log.csv",
            mime="text/csv",
        )
    else:
        st.info("No audit entries match these filters.")


# Each part, the permission it needs (None: anyone on the page), and what draws it.
SECTIONS: dict[str, tuple[str | None, Callable[[Actor], None]]] = {
    "Users": ("users.manage", users_section),
    "IP allow-list": ("users.manage", networks_section),
    "Masking": ("users.manage", masking_section),
    "Roles": (None, roles_section),
    "Audit log": ("audit.view", audit_section),
}


def show() -> None:
    """The page: one part at a time, chosen above it, so a visit reads and draws only that part."""
    actor = guard("users.manage", "audit.view")
    header(
        "Admin",
        "Manage accounts, the IP allow-list and masking; see what each role may do; read the audit log."
        if actor.can("users.manage")
        else "See what each role may do and read the audit log.",
    )
    parts = [name for name, (needs, _draw) in SECTIONS.items() if needs is None or actor.can(needs)]
    said_once(FLASH)
    _needs, draw = SECTIONS[section("Section", parts, key="admin_section")]
    draw(actor)


def _kept(key: str) -> dict[str, Any]:
    """A filter's value kept for the session: only one part of the page is drawn at a time."""
    return {"key": key, "persist_state": "session"}


def _readable(fields: dict[str, Any] | None) -> str:
    """An entry's before/after as 'field: value' pairs a person reads (and one type per column)."""
    if not fields:
        return ""
    return " · ".join(
        f"{name}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)}"
        for name, value in fields.items()
    )


with shown():
    show()
