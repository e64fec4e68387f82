"""Managing users and searching the audit log, on both stores."""

from __future__ import annotations

import csv
import io
import json

import pytest

from superinsight.resources import Resources
from superinsight.services.context import role_actor, system_actor
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.security import audit_log, networks, sign_in, users
from superinsight.services.security.audit_log import AuditFilter

PASSWORD = "a long enough passphrase"
ROOT = system_actor("acme")


def test_roles_change_and_the_last_admin_stays(resources: Resources) -> None:
    admin = users.create_user(resources, ROOT, "admin@acme.example", PASSWORD, "admin")
    viewer = users.create_user(resources, ROOT, "viewer@acme.example", PASSWORD, "viewer")
    users.set_role(resources, ROOT, viewer, "analyst")
    assert {u.email: u.role for u in users.list_users(resources, ROOT)}["viewer@acme.example"] == "analyst"
    with pytest.raises(InvalidInputError, match="at least one active admin"):
        users.set_role(resources, ROOT, admin, "viewer")
    with pytest.raises(InvalidInputError, match="at least one active admin"):
        users.set_user_active(resources, ROOT, admin, False)
    users.set_role(resources, ROOT, viewer, "admin")
    users.set_user_active(resources, ROOT, admin, False)
    assert not {u.email: u.is_active for u in users.list_users(resources, ROOT)}["admin@acme.example"]


def test_users_of_other_workspaces_cannot_be_touched(resources: Resources) -> None:
    theirs = users.create_user(resources, system_actor("other"), "x@other.example", PASSWORD, "viewer")
    with pytest.raises(InvalidInputError, match="does not exist"):
        users.set_role(resources, ROOT, theirs, "admin")
    assert [u.email for u in users.list_users(resources, ROOT)] == []


def test_allow_list_entries_are_listed_and_removed(resources: Resources) -> None:
    networks.allow_network(resources, ROOT, "192.168.1.7", "printer")
    ((network_id, cidr, description),) = networks.list_networks(resources, ROOT)
    assert (cidr, description) == ("192.168.1.7/32", "printer")
    networks.remove_network(resources, ROOT, network_id)
    assert networks.list_networks(resources, ROOT) == []


def test_the_audit_log_is_searched_and_exported_per_tenant(resources: Resources) -> None:
    users.create_user(resources, ROOT, "ana@acme.example", PASSWORD, "analyst")
    signed = sign_in.sign_in(resources, "acme", "ana@acme.example", PASSWORD, "198.51.100.4")
    rule_commands.create_rule(
        resources, signed.actor, RuleDraft("=cmd|' /C calc'!A0", {"==": [{"var": "title"}, "x"]})
    )
    rule_commands.create_rule(
        resources, role_actor("other", "analyst"), RuleDraft("Theirs", {"==": [{"var": "title"}, "y"]})
    )
    found = audit_log.search(resources, ROOT, AuditFilter(action="rule."))
    assert [(row.action, row.user, row.ip_address) for row in found] == [
        ("rule.create", "ana@acme.example", "198.51.100.4")
    ]
    assert audit_log.search(resources, ROOT, AuditFilter(user_email="nobody@acme.example")) == []
    exported = list(
        csv.DictReader(io.StringIO("".join(audit_log.export_csv(resources, ROOT, AuditFilter()))))
    )
    actions = [row["action"] for row in exported]
    assert {"user.create", "auth.login", "rule.create"} <= set(actions)
    rule_row = next(row for row in exported if row["action"] == "rule.create")
    assert rule_row["after"].startswith("{") and "'=cmd" not in rule_row["entity_id"]
    assert all(not value.startswith(("=", "+", "-", "@")) for row in exported for value in row.values())


def test_only_auditors_read_the_log(resources: Resources) -> None:
    with pytest.raises(PermissionDeniedError):
        audit_log.search(resources, role_actor("acme", "analyst"), AuditFilter())
    with pytest.raises(PermissionDeniedError):
        next(audit_log.export_csv(resources, role_actor("acme", "viewer"), AuditFilter()))


def test_the_user_list_shows_who_is_limited_to_which_sources(resources: Resources) -> None:
    from superinsight.services.documents import sources

    north = sources.ensure_source(resources.uow(), ROOT, "North", "csv")
    user = users.create_user(resources, ROOT, "n@acme.example", PASSWORD, "viewer")
    users.limit_to_sources(resources, ROOT, user, [north])
    assert {u.email: u.limited_to for u in users.list_users(resources, ROOT)} == {"n@acme.example": ["North"]}


@pytest.mark.parametrize(
    "name", [" =cmd|' /C calc'!A0", "\t+1+1", "\r\n@SUM(A1)", "\u00a0-2+3", "a;b", "a\tb", "x|y"]
)
def test_an_exported_audit_log_neutralises_formulas_and_quotes_separators(
    resources: Resources, name: str
) -> None:
    rule_commands.create_rule(resources, ROOT, RuleDraft(name, {"==": [{"var": "title"}, "x"]}))
    text = "".join(audit_log.export_csv(resources, ROOT, AuditFilter(action="rule.")))
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert json.loads(row["after"])["name"] == name
    for value in row.values():
        assert not value.lstrip().startswith(("=", "+", "-", "@"))
    for separator in (";", "\t", "|"):
        if separator in name:
            assert '"{' in text  # the cell holding it is quoted
