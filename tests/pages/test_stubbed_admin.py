"""The Admin page for each role, its services stubbed: accounts, allow-list, masking, roles, audit log.

app.py lists the page only for whoever may manage users or read the audit log (admins);
drawn for another role it still shows nothing but what each role may do.
"""

from __future__ import annotations

from typing import Any

import pytest

from superinsight.masking import MaskingRule
from superinsight.services.documents.sources import SourceRow
from superinsight.services.errors import InvalidInputError
from superinsight.services.permissions import PERMISSIONS, ROLE_PERMISSIONS
from superinsight.services.security.audit_log import AuditFilter, AuditRow
from superinsight.services.security.users import UserRow
from tests.pages.stubbed import NOW, Page, Stubs, by_role, open_page, starts_with_a_header

USERS = "superinsight.services.security.users"
NETWORKS = "superinsight.services.security.networks"
MASKING = "superinsight.services.documents.masking"
AUDIT = "superinsight.services.security.audit_log"
ADMIN_SECTIONS = ["Users", "IP allow-list", "Masking", "Roles", "Audit log"]
# What each section reads: a visit reads only the section it shows.
READS = {
    "Users": {f"{USERS}.list_users", "superinsight.services.documents.sources.list_sources"},
    "IP allow-list": {f"{NETWORKS}.list_networks"},
    "Masking": {f"{MASKING}.masking_rules"},
    "Roles": {f"{USERS}.role_permissions"},
    "Audit log": {f"{AUDIT}.search"},
}
TYPED = "**office** <b>VPN</b>"  # what someone typed, shown as these very characters


def _admin(stubs: Stubs, *, empty: bool = False) -> list[AuditFilter]:
    """The page's services; returns the filters the audit log was searched with, in order."""
    searched: list[AuditFilter] = []
    stubs.returns(
        f"{USERS}.list_users",
        [
            UserRow(1, "ada@x", "Ada", "admin", True, NOW, False, []),
            UserRow(2, "ann@x", TYPED, "annotator", True, None, False, ["Support desk"]),
        ],
    )
    stubs.returns(
        "superinsight.services.documents.sources.list_sources",
        [SourceRow(1, "Support desk", "csv", "active")],
    )
    stubs.returns(f"{USERS}.role_permissions", lambda _resources: dict(ROLE_PERMISSIONS))
    stubs.returns(f"{NETWORKS}.list_networks", [] if empty else [(3, "10.0.0.0/8", TYPED)])
    stubs.returns(
        f"{MASKING}.masking_rules",
        []
        if empty
        else [
            ("Customer names", MaskingRule("metadata.customer", None, "mask", frozenset({"analyst"}))),
            ("Card numbers", MaskingRule(None, r"\b\d{4}\b", "partial")),
        ],
    )
    rows = [
        AuditRow(9, NOW, None, "user.role", "user", "2", None, {"role": "annotator"}, {"role": "analyst"})
    ]

    def search(_resources: Any, _actor: Any, filters: AuditFilter) -> list[AuditRow]:
        searched.append(filters)
        return [] if empty else rows

    stubs.returns(f"{AUDIT}.search", search)
    stubs.returns(f"{AUDIT}.export_csv", lambda *_args: iter(["id,at\n", "9,2026-11-30\n"]))
    return searched


def _sections(page: Page) -> list[str]:
    return list(page.at.segmented_control(key="admin_section").options)


def _open(page: Page, name: str) -> None:
    page.at.segmented_control(key="admin_section").set_value(name)
    page.run()


def _submit(page: Page, form: str) -> None:
    """Click the submit button of the form keyed `form`."""
    next(b for b in page.at.button if b.proto.form_id == form).click()
    page.run()


class TestAdmin:
    def test_admins_manage_accounts_and_read_what_each_role_may_do(self, stubs: Stubs) -> None:
        _admin(stubs)
        page = open_page(stubs, "admin", "admin")
        starts_with_a_header(page, "Admin")
        assert _sections(page) == ADMIN_SECTIONS
        assert "Manage accounts" in page.at.caption[0].value
        assert {"Apply", "Add", "Reset"} <= page.labels()
        assert set(page.calls) == READS["Users"], "the first section alone is read"
        users = page.at.dataframe[0].value
        assert list(users.columns) == ["email", "name", "role", "active", "locked", "last sign-in", "sources"]
        assert list(users["last sign-in"]) == [f"{NOW:%Y-%m-%d %H:%M} UTC", "never"]
        assert list(users["sources"]) == ["all", "Support desk"]
        _open(page, "Roles")
        matrix = page.at.dataframe[0].value
        assert list(matrix["permission"]) == list(PERMISSIONS)
        granted = matrix.set_index("permission")["admin"]
        assert set(granted[granted].index) == ROLE_PERMISSIONS["admin"]

    def test_each_section_reads_only_what_it_shows(self, stubs: Stubs) -> None:
        _admin(stubs)
        page = open_page(stubs, "admin", "admin")
        for name in ADMIN_SECTIONS[1:]:
            _open(page, name)  # each run starts its list of calls afresh
            assert set(page.calls) == READS[name], name

    @by_role("analyst", "annotator", "viewer")
    def test_a_role_that_neither_manages_accounts_nor_reads_the_audit_log_is_turned_away(
        self, stubs: Stubs, role: str
    ) -> None:
        """The navigation does not offer them the page; an address typed by hand meets the guard."""
        assert not {"users.manage", "audit.view"} & ROLE_PERMISSIONS[role]
        _admin(stubs)
        page = open_page(stubs, "admin", role)
        assert [w.value for w in page.at.warning] == [
            "Your role may not open this page; ask an admin for access."
        ]
        assert not page.at.title and not page.at.segmented_control
        assert page.calls == [], "nothing is read for a role the page is not for"

    def test_the_audit_log_is_exported_only_on_a_click(self, stubs: Stubs) -> None:
        _admin(stubs)
        page = open_page(stubs, "admin", "admin")
        _open(page, "Audit log")
        assert "Export as CSV" in page.labels("download_button")
        assert f"{AUDIT}.export_csv" not in page.calls

    def test_what_someone_typed_is_shown_as_text(self, stubs: Stubs) -> None:
        _admin(stubs)
        page = open_page(stubs, "admin", "admin")
        _open(page, "IP allow-list")
        assert r"\*\*office\*\* \<b\>VPN\</b\>" in page.texts("markdown")
        assert TYPED not in page.texts("markdown")
        assert page.at.code[0].value == "10.0.0.0/8"
        _open(page, "Audit log")
        audit = page.at.dataframe[0].value
        assert (audit["user"][0], audit["before"][0], audit["after"][0]) == (
            "system",
            "role: annotator",
            "role: analyst",
        ), "no user: the workbench acted; before and after as a person reads them"

    def test_masking_rules_say_which_turn_text_search_off(self, stubs: Stubs) -> None:
        _admin(stubs)
        page = open_page(stubs, "admin", "admin")
        _open(page, "Masking")
        rules = page.at.dataframe[0].value.set_index("name")
        assert rules.loc["Customer names", "also shown to"] == "analyst"
        assert rules.loc["Customer names", "text search"] == ""
        assert rules.loc["Card numbers", "text search"] == "off for the roles it binds"

    def test_empty_lists_say_what_that_means(self, stubs: Stubs) -> None:
        _admin(stubs, empty=True)
        page = open_page(stubs, "admin", "admin")
        said = {}
        for name in ["IP allow-list", "Masking", "Audit log"]:
            _open(page, name)
            said[name] = (page.texts("info"), len(page.at.dataframe), page.labels("download_button"))
        assert said == {
            "IP allow-list": (
                "No entries: every address may sign in. Add one to restrict sign-ins to your networks.",
                0,
                set(),
            ),
            "Masking": ("No masking rules: every role with access to documents sees every value.", 0, set()),
            "Audit log": ("No audit entries match these filters.", 0, set()),
        }, "no empty tables, nothing to export"

    def test_the_audit_log_is_searched_with_the_filters_typed(self, stubs: Stubs) -> None:
        searched = _admin(stubs)
        page = open_page(stubs, "admin", "admin")
        _open(page, "Audit log")
        assert searched[-1] == AuditFilter()
        _text_input(page, "Action starts with").input("rule.")
        _text_input(page, "User email").input("ann@x")
        page.run()
        assert searched[-1] == AuditFilter(action="rule.", user_email="ann@x")


def _text_input(page: Page, label: str) -> Any:
    return next(t for t in page.at.text_input if t.label == label)


class TestAdminChanges:
    def test_a_role_change_calls_only_what_changed(self, stubs: Stubs) -> None:
        _admin(stubs)
        changed: list[Any] = []
        stubs.returns(f"{USERS}.set_role", lambda _r, _a, user_id, role: changed.append((user_id, role)))
        page = open_page(stubs, "admin", "admin")
        next(s for s in page.at.selectbox if s.label == "User").select("ann@x")
        page.run()  # the form opens on her values
        next(s for s in page.at.selectbox if s.label == "Role").select("analyst")
        _submit(page, "change_user")
        assert changed == [(2, "analyst")]
        assert not {f"{USERS}.limit_to_sources", f"{USERS}.set_user_active"} & set(page.calls)

    def test_a_role_change_and_a_deactivation_are_both_applied(self, stubs: Stubs) -> None:
        _admin(stubs)
        stubs.returns(f"{USERS}.set_role", None)
        stubs.returns(f"{USERS}.set_user_active", None)
        page = _promote_and_deactivate(stubs)
        assert {f"{USERS}.set_role", f"{USERS}.set_user_active"} <= set(page.calls)
        assert f"{USERS}.limit_to_sources" not in page.calls, "her source limits were left as they were"

    @pytest.mark.parametrize(
        ("part", "form", "service", "action"),
        [
            ("IP allow-list", "add_network", f"{NETWORKS}.allow_network", "Adding the network"),
            ("Users", "new_user", f"{USERS}.create_user", "Adding the user"),
            ("Users", "reset_password", f"{USERS}.reset_password", "Password reset"),
            ("Masking", "add_mask", f"{MASKING}.add_masking_rule", "Adding the masking rule"),
        ],
    )
    def test_a_refused_change_says_why_as_text(
        self, stubs: Stubs, part: str, form: str, service: str, action: str
    ) -> None:
        _admin(stubs)
        stubs.raises(service, InvalidInputError("'**10.0.0.0/33**' is not <b>valid</b>"))
        page = open_page(stubs, "admin", "admin")
        _open(page, part)
        _submit(page, form)
        assert service in page.calls
        assert page.at.error[0].value == rf"{action} failed: '\*\*10.0.0.0/33\*\*' is not \<b\>valid\</b\>"
        assert _sections(page) == ADMIN_SECTIONS, "the page is still all there"
        assert page.at.segmented_control(key="admin_section").value == part, "on the part it was"

    def test_a_change_that_went_through_is_said_after_the_rerun_it_asks_for(self, stubs: Stubs) -> None:
        _admin(stubs)
        stubs.returns(f"{USERS}.set_role", None)
        stubs.returns(f"{USERS}.set_user_active", None)
        page = _promote_and_deactivate(stubs)
        assert [s.value for s in page.at.success] == ["Role change: done. Activation: done."]
        page.run()
        assert not page.at.success, "said once"

    def test_a_change_beside_a_refused_one_is_said_at_once_with_the_refusal(self, stubs: Stubs) -> None:
        _admin(stubs)
        stubs.returns(f"{USERS}.set_role", None)
        stubs.raises(f"{USERS}.set_user_active", InvalidInputError("the last active admin"))
        page = _promote_and_deactivate(stubs)
        assert [s.value for s in page.at.success] == ["Role change: done."]
        assert [e.value for e in page.at.error] == ["Activation failed: the last active admin"]
        page.at.segmented_control(key="admin_section").set_value("Audit log")
        page.run()
        assert not page.at.success, "not said again on a later run"

    def test_a_new_masking_rule_hides_a_field_from_all_but_the_roles_chosen(self, stubs: Stubs) -> None:
        _admin(stubs, empty=True)
        added: list[Any] = []
        stubs.returns(f"{MASKING}.add_masking_rule", lambda _r, _a, name, rule: added.append((name, rule)))
        page = open_page(stubs, "admin", "admin")
        _open(page, "Masking")
        next(t for t in page.at.text_input if t.label == "Name").input("Customers")
        next(t for t in page.at.text_input if t.label == "Field or pattern").input("metadata.customer")
        next(m for m in page.at.multiselect if m.label == "Still shown to").set_value(["analyst"])
        _submit(page, "add_mask")
        assert added == [
            ("Customers", MaskingRule("metadata.customer", None, "mask", frozenset({"analyst"})))
        ]

    def test_removing_an_allow_list_entry_names_it_by_its_id(self, stubs: Stubs) -> None:
        _admin(stubs)
        removed: list[int] = []
        stubs.returns(f"{NETWORKS}.remove_network", lambda _r, _a, network_id: removed.append(network_id))
        page = open_page(stubs, "admin", "admin")
        _open(page, "IP allow-list")
        page.at.button(key="net_3").click()
        page.run()
        assert removed == [3]


def test_the_audit_filters_and_the_chosen_user_outlast_a_visit_to_another_part(stubs: Stubs) -> None:
    searched = _admin(stubs)
    page = open_page(stubs, "admin", "admin")
    next(s for s in page.at.selectbox if s.label == "User").select("ann@x")
    page.run()
    _open(page, "Audit log")
    _text_input(page, "Action starts with").input("rule.")
    page.run()
    _open(page, "Roles")
    _open(page, "Audit log")
    assert searched[-1] == AuditFilter(action="rule.")
    assert _text_input(page, "Action starts with").value == "rule."
    _open(page, "Users")
    assert next(s for s in page.at.selectbox if s.label == "User").value == "ann@x"


def _promote_and_deactivate(stubs: Stubs) -> Page:
    """Ann made an analyst and deactivated, in one submission of the user form."""
    page = open_page(stubs, "admin", "admin")
    next(s for s in page.at.selectbox if s.label == "User").select("ann@x")
    page.run()  # the form opens on her values
    next(s for s in page.at.selectbox if s.label == "Role").select("analyst")
    next(c for c in page.at.checkbox if c.label == "Active").uncheck()
    _submit(page, "change_user")
    return page
