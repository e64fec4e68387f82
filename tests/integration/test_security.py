"""Sign-in, lockout, sessions, the IP allow-list, and every role against every protected call."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from superinsight.db.base import utcnow
from superinsight.db.models import AuditLog, User, UserSession
from superinsight.db.models.security import SignInThrottle
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.services import overview
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.demo import seed as demo
from superinsight.services.documents import sources
from superinsight.services.documents import views as document_views
from superinsight.services.documents import writer as document_writer
from superinsight.services.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PasswordChangeRequiredError,
    PermissionDeniedError,
)
from superinsight.services.insights import views as insights
from superinsight.services.permissions import ROLE_PERMISSIONS
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.security import networks, sign_in, single_sign_on, users

PASSWORD = "a long enough passphrase"
ADMIN = system_actor("acme")


def _user(resources: Resources, role: str = "analyst", email: str = "ana@acme.example") -> str:
    users.create_user(resources, ADMIN, email, PASSWORD, role)
    return email


def _audits(resources: Resources) -> int:
    with resources.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditLog)) or 0)


class TestSignIn:
    def test_the_right_password_opens_a_session_with_the_roles_permissions(
        self, resources: Resources
    ) -> None:
        email = _user(resources, "viewer")
        signed = sign_in.sign_in(resources, "acme", email.upper(), PASSWORD, "10.1.2.3")
        assert signed.actor.role == "viewer"
        assert signed.actor.permissions == ROLE_PERMISSIONS["viewer"]
        assert sign_in.resolve(resources, signed.token, "10.1.2.3") == signed.actor

    def test_passwords_and_tokens_are_stored_only_as_hashes(self, resources: Resources) -> None:
        signed = sign_in.sign_in(resources, "acme", _user(resources), PASSWORD, None)
        with resources.uow() as uow:
            stored_hash = uow.session.scalar(select(User.password_hash))
            token_hash = uow.session.scalar(select(UserSession.token_hash))
        assert stored_hash is not None and stored_hash.startswith("$argon2") and PASSWORD not in stored_hash
        assert token_hash != signed.token

    @pytest.mark.parametrize(
        ("tenant", "email", "password"),
        [
            ("acme", "ana@acme.example", "wrong password!"),
            ("acme", "nobody@acme.example", PASSWORD),
            ("other", "ana@acme.example", PASSWORD),
        ],
    )
    def test_wrong_credentials_get_one_message(
        self, resources: Resources, tenant: str, email: str, password: str
    ) -> None:
        _user(resources)
        with pytest.raises(AuthenticationError, match="do not match"):
            sign_in.sign_in(resources, tenant, email, password, None)

    def test_five_failures_lock_the_account_even_for_the_right_password(self, resources: Resources) -> None:
        email = _user(resources)
        for _ in range(sign_in.MAX_FAILED_SIGN_INS):
            with pytest.raises(AuthenticationError, match="do not match"):
                sign_in.sign_in(resources, "acme", email, "wrong password!", None)
        with pytest.raises(AuthenticationError, match="Too many failed sign-ins for this account"):
            sign_in.sign_in(resources, "acme", email, PASSWORD, None)
        with resources.uow() as uow:
            uow.session.execute(update(User).values(locked_until=utcnow() - timedelta(seconds=1)))
            uow.commit()
        assert sign_in.sign_in(resources, "acme", email, PASSWORD, None).actor.role == "analyst"

    def test_a_success_resets_the_failure_count(self, resources: Resources) -> None:
        email = _user(resources)
        for _ in range(sign_in.MAX_FAILED_SIGN_INS - 1):
            with pytest.raises(AuthenticationError):
                sign_in.sign_in(resources, "acme", email, "wrong password!", None)
        sign_in.sign_in(resources, "acme", email, PASSWORD, None)
        with pytest.raises(AuthenticationError, match="do not match"):
            sign_in.sign_in(resources, "acme", email, "wrong password!", None)
        sign_in.sign_in(resources, "acme", email, PASSWORD, None)


class TestSessions:
    def test_an_expired_session_is_refused(self, resources: Resources) -> None:
        signed = sign_in.sign_in(resources, "acme", _user(resources), PASSWORD, None)
        with resources.uow() as uow:
            uow.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
            uow.commit()
        with pytest.raises(AuthenticationError, match="session has ended"):
            sign_in.resolve(resources, signed.token, None)

    def test_signing_out_revokes_the_session(self, resources: Resources) -> None:
        signed = sign_in.sign_in(resources, "acme", _user(resources), PASSWORD, None)
        sign_in.sign_out(resources, signed.token)
        with pytest.raises(AuthenticationError):
            sign_in.resolve(resources, signed.token, None)

    def test_a_deactivated_user_loses_their_session(self, resources: Resources) -> None:
        signed = sign_in.sign_in(resources, "acme", _user(resources), PASSWORD, None)
        with resources.uow() as uow:
            uow.session.execute(update(User).values(is_active=False))
            uow.commit()
        with pytest.raises(AuthenticationError):
            sign_in.resolve(resources, signed.token, None)

    def test_an_unknown_token_is_refused(self, resources: Resources) -> None:
        with pytest.raises(AuthenticationError, match="sign in"):
            sign_in.resolve(resources, "made-up", None)

    def test_last_seen_is_written_at_most_once_a_minute_not_on_every_page_run(
        self, resources: Resources
    ) -> None:
        signed = sign_in.sign_in(resources, "acme", _user(resources), PASSWORD, None)

        def last_seen() -> Any:
            with resources.uow() as uow:
                return uow.session.scalar(select(UserSession.last_seen_at))

        opened = last_seen()
        sign_in.resolve(resources, signed.token, None)
        assert last_seen() == opened, "seen again within the minute: nothing written"
        a_while_ago = utcnow() - sign_in.SEEN_EVERY - timedelta(seconds=1)
        with resources.uow() as uow:
            uow.session.execute(update(UserSession).values(last_seen_at=a_while_ago))
            uow.commit()
        before = utcnow()
        sign_in.resolve(resources, signed.token, None)
        seen = last_seen()
        assert seen is not None and seen.replace(tzinfo=None) >= before.replace(tzinfo=None)


class TestIpAllowList:
    def test_without_entries_every_address_may_sign_in(self, resources: Resources) -> None:
        sign_in.sign_in(resources, "acme", _user(resources), PASSWORD, "203.0.113.9")

    def test_with_entries_only_listed_addresses_get_in(self, resources: Resources) -> None:
        email = _user(resources)
        signed = sign_in.sign_in(resources, "acme", email, PASSWORD, "203.0.113.9")
        networks.allow_network(resources, ADMIN, "10.0.0.0/8")
        sign_in.sign_in(resources, "acme", email, PASSWORD, "10.20.30.40")
        for outside in ("203.0.113.9", None):
            with pytest.raises(AuthenticationError, match=re.escape(sign_in.WRONG_CREDENTIALS)):
                sign_in.sign_in(resources, "acme", email, PASSWORD, outside)
        with pytest.raises(AuthenticationError):
            sign_in.resolve(resources, signed.token, "203.0.113.9")

    def test_outside_the_list_a_right_password_is_answered_as_a_wrong_one(
        self, resources: Resources, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Told apart, the answers would confirm a password from anywhere and name the workspace."""
        email = _user(resources)
        networks.allow_network(resources, ADMIN, "10.0.0.0/8")
        checked: list[str] = []
        verify = sign_in._verify
        monkeypatch.setattr(sign_in, "_verify", lambda h, p: checked.append(h) or verify(h, p))
        for workspace, who, password in (
            ("acme", email, PASSWORD),
            ("acme", email, "wrong password!"),
            ("acme", "nobody@acme.example", PASSWORD),
            ("no-such-place", email, PASSWORD),
        ):
            with pytest.raises(AuthenticationError) as refused:
                sign_in.sign_in(resources, workspace, who, password, "203.0.113.9")
            assert str(refused.value) == sign_in.WRONG_CREDENTIALS, (workspace, who)
        assert checked == [sign_in._DUMMY_HASH] * 4, "the account's own hash is never checked from outside"
        assert sign_in.sign_in(resources, "acme", email, PASSWORD, "10.1.2.3").email == email

    def test_a_bad_network_is_refused_and_nothing_is_stored(self, resources: Resources) -> None:
        before = _audits(resources)
        with pytest.raises(InvalidInputError, match="not an address or network"):
            networks.allow_network(resources, ADMIN, "10.0.0.0/33")
        assert _audits(resources) == before


class TestUsers:
    @pytest.mark.parametrize(
        ("email", "password", "role", "message"),
        [
            ("not-an-email", PASSWORD, "viewer", "not an email address"),
            ("x@acme.example", "short", "viewer", "at least 12 characters"),
            ("x@acme.example", PASSWORD, "overlord", "role must be one of"),
        ],
    )
    def test_bad_accounts_are_refused_with_nothing_written(
        self, resources: Resources, email: str, password: str, role: str, message: str
    ) -> None:
        before = _audits(resources)
        with pytest.raises(InvalidInputError, match=message):
            users.create_user(resources, ADMIN, email, password, role)
        assert _audits(resources) == before

    def test_emails_are_unique_per_workspace(self, resources: Resources) -> None:
        _user(resources)
        with pytest.raises(InvalidInputError, match="already has an account"):
            _user(resources)
        users.create_user(resources, system_actor("other"), "ana@acme.example", PASSWORD, "viewer")

    def test_the_roles_in_the_database_are_the_ones_the_code_expects(self, resources: Resources) -> None:
        assert users.role_permissions(resources) == ROLE_PERMISSIONS


def _calls(resources: Resources, actor: Actor) -> dict[str, Callable[[], Any]]:
    """One protected call per permission, each changing something the test can count."""
    source = sources.ensure_source(resources.uow(), ADMIN, "Existing", "csv")
    rule = rule_commands.create_rule(resources, ADMIN, RuleDraft("Existing", {"==": [{"var": "title"}, "x"]}))
    draft = RuleDraft("New", {"==": [{"var": "title"}, "y"]})
    return {
        "documents.view": lambda: document_views.list_documents(resources, actor),
        "documents.edit": lambda: document_writer.upsert_documents(
            resources, actor, source, [DocumentInput("e1", "t", "c")]
        ),
        "rules.edit": lambda: rule_commands.create_rule(resources, actor, draft),
        "rules.apply": lambda: rule_apply.new_run(resources, actor, rule.id),
        "sources.manage": lambda: sources.ensure_source(resources.uow(), actor, "Brand new", "csv"),
        "users.manage": lambda: users.create_user(resources, actor, "new@acme.example", PASSWORD, "viewer"),
        "workspace.manage": lambda: demo.seed_demo(resources, actor, documents=4),
        "insights.read": lambda: insights.insights(resources, actor),
    }


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_each_role_against_each_protected_call(resources: Resources, role: str) -> None:
    actor = role_actor("acme", role, user_id=None)
    for permission, call in _calls(resources, actor).items():
        needed = "documents.view" if permission == "insights.read" else permission
        before = _audits(resources)
        if needed in ROLE_PERMISSIONS[role]:
            call()
        else:
            with pytest.raises(PermissionDeniedError, match=re.escape(f"your role ({role}) may not")):
                call()
            assert _audits(resources) == before, f"{role} refused {permission} but something was written"


def test_an_audited_change_always_has_its_row_and_a_refused_one_never(resources: Resources) -> None:
    actor = role_actor("acme", "analyst", ip_address="192.0.2.7")
    rule = rule_commands.create_rule(resources, actor, RuleDraft("Audited", {"==": [{"var": "title"}, "x"]}))
    with resources.uow() as uow:
        entry = uow.session.scalars(select(AuditLog).where(AuditLog.action == "rule.create")).one()
    assert (entry.entity_id, entry.ip_address, entry.after["name"]) == (str(rule.id), "192.0.2.7", "Audited")
    before = _audits(resources)
    with pytest.raises(InvalidInputError):
        rule_commands.create_rule(resources, actor, RuleDraft("Audited", {"==": [{"var": "title"}, "x"]}))
    assert _audits(resources) == before


class TestSourceScope:
    def _world(self, resources: Resources) -> tuple[int, int, Actor]:
        north = sources.ensure_source(resources.uow(), ADMIN, "North", "csv")
        south = sources.ensure_source(resources.uow(), ADMIN, "South", "csv")
        for source, prefix in ((north, "N"), (south, "S")):
            document_writer.upsert_documents(
                resources, ADMIN, source, [DocumentInput(f"{prefix}{i}", "t", "c") for i in range(3)]
            )
        user_id = users.create_user(resources, ADMIN, "scoped@acme.example", PASSWORD, "analyst")
        users.limit_to_sources(resources, ADMIN, user_id, [north])
        actor = sign_in.sign_in(resources, "acme", "scoped@acme.example", PASSWORD, None).actor
        return north, south, actor

    def test_a_narrowed_user_sees_only_their_sources(self, resources: Resources) -> None:
        north, _, actor = self._world(resources)
        assert actor.source_ids == frozenset({north})
        assert {row.external_id for row in document_views.list_documents(resources, actor)} == {
            "N0",
            "N1",
            "N2",
        }
        assert [s.name for s in sources.list_sources(resources, actor)] == ["North"]
        summary = overview.summary(resources, actor)
        assert (summary.documents, summary.sources) == (3, 1)
        assert sum(count for _, _, count in document_views.documents_per_day(resources, actor)) == 3
        report = rule_testing.run_test(resources, actor, RuleDraft("t", {"==": [{"var": "title"}, "t"]}))
        assert (report.total, report.matched) == (3, 3)
        south_doc = next(
            r.id for r in document_views.list_documents(resources, ADMIN) if r.external_id == "S0"
        )
        with pytest.raises(NotFoundError):
            document_views.get_document(resources, actor, south_doc)

    def test_a_narrowed_user_cannot_write_outside_or_across_sources(self, resources: Resources) -> None:
        _, south, actor = self._world(resources)
        before = _audits(resources)
        with pytest.raises(NotFoundError):
            document_writer.upsert_documents(resources, actor, south, [DocumentInput("X", "t", "c")])
        with pytest.raises(PermissionDeniedError, match="limited to some sources"):
            sources.ensure_source(resources.uow(), actor, "Mine now", "csv")
        rule = rule_commands.create_rule(
            resources, actor, RuleDraft("Scoped rule", {"==": [{"var": "title"}, "t"]})
        )
        with pytest.raises(PermissionDeniedError, match="limited to some sources"):
            rule_apply.new_run(resources, actor, rule.id)
        assert _audits(resources) == before + 1  # only the rule's creation

    def test_an_empty_list_gives_back_every_source_and_unknown_ones_are_refused(
        self, resources: Resources
    ) -> None:
        _, _, actor = self._world(resources)
        assert actor.user_id is not None
        with pytest.raises(InvalidInputError, match="no such source"):
            users.limit_to_sources(resources, ADMIN, actor.user_id, [999])
        users.limit_to_sources(resources, ADMIN, actor.user_id, [])
        again = sign_in.sign_in(resources, "acme", "scoped@acme.example", PASSWORD, None).actor
        assert again.source_ids is None
        assert len(document_views.list_documents(resources, again)) == 6


class TestSingleSignOn:
    def test_a_verified_email_with_an_account_gets_a_session(self, resources: Resources) -> None:
        email = _user(resources, "viewer")
        signed = single_sign_on.sign_in_verified(
            resources, "acme", email.upper(), "10.0.0.1", email_verified=True
        )
        assert sign_in.resolve(resources, signed.token, "10.0.0.1").role == "viewer"

    def test_no_account_or_an_inactive_one_gets_nothing(self, resources: Resources) -> None:
        with pytest.raises(AuthenticationError, match="has no account in this workspace"):
            single_sign_on.sign_in_verified(
                resources, "acme", "stranger@acme.example", None, email_verified=True
            )
        assert _auth_failures(resources)[-1].after == {
            "email": "stranger@acme.example",
            "reason": "single sign-on: no active account",
        }
        email = _user(resources)
        with resources.uow() as uow:
            uow.session.execute(update(User).values(is_active=False))
            uow.commit()
        with pytest.raises(AuthenticationError):
            single_sign_on.sign_in_verified(resources, "acme", email, None, email_verified=True)

    def test_an_email_the_provider_has_not_verified_gets_nothing(self, resources: Resources) -> None:
        email = _user(resources, "admin")
        sessions = select(func.count()).select_from(UserSession)
        with resources.uow() as uow:
            before = uow.session.scalar(sessions)
        with pytest.raises(AuthenticationError, match="did not say it has verified"):
            single_sign_on.sign_in_verified(resources, "acme", email, "10.0.0.9", email_verified=False)
        with resources.uow() as uow:
            assert uow.session.scalar(sessions) == before
        refused = _auth_failures(resources)[-1]
        assert refused.after == {"email": email, "reason": "single sign-on: email not verified"}
        assert refused.ip_address == "10.0.0.9"

    def test_the_ip_allow_list_still_applies(self, resources: Resources) -> None:
        email = _user(resources)
        networks.allow_network(resources, ADMIN, "10.0.0.0/8")
        with pytest.raises(AuthenticationError, match="does not accept"):
            single_sign_on.sign_in_verified(resources, "acme", email, "203.0.113.5", email_verified=True)


def _auth_failures(resources: Resources) -> list[AuditLog]:
    with resources.uow() as uow:
        return list(
            uow.session.scalars(
                select(AuditLog).where(AuditLog.action == "auth.failed").order_by(AuditLog.id)
            )
        )


def _attempt(resources: Resources, email: str, password: str, ip: str | None = None) -> str:
    """What one sign-in attempt answers: 'ok' or the refusal's message."""
    try:
        sign_in.sign_in(resources, "acme", email, password, ip)
    except AuthenticationError as exc:
        return str(exc)
    return "ok"


class TestSignInCannotBeRacedOrProbed:
    def test_forty_concurrent_wrong_passwords_get_five_checks_and_the_lock(
        self, resources: Resources
    ) -> None:
        email = _user(resources)
        with ThreadPoolExecutor(max_workers=40) as pool:
            answers = list(pool.map(lambda _: _attempt(resources, email, "wrong password!"), range(40)))
        assert answers.count(sign_in.WRONG_CREDENTIALS) == sign_in.MAX_FAILED_SIGN_INS
        assert all(
            a == sign_in.WRONG_CREDENTIALS or a.startswith("Too many failed sign-ins for this account")
            for a in answers
        )
        assert _attempt(resources, email, PASSWORD).startswith("Too many failed sign-ins")
        assert len(_auth_failures(resources)) == 41

    @pytest.mark.parametrize(
        "unknown",
        [
            "nobody@acme.example",
            "NOBODY@acme.example ",
            "ana@acme.example.",
            "ana@acme.exampl\u0435",
            "",
            "a" * 300,
        ],
    )
    def test_an_unknown_email_is_answered_like_a_wrong_password_and_locks_alike(
        self, resources: Resources, unknown: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        email = _user(resources)
        checks: list[str] = []
        verify = sign_in._verify
        monkeypatch.setattr(sign_in, "_verify", lambda h, p: checks.append(h) or verify(h, p))
        known = [
            _attempt(resources, email, "wrong password!") for _ in range(sign_in.MAX_FAILED_SIGN_INS + 1)
        ]
        unknown_answers = [
            _attempt(resources, unknown, "wrong password!") for _ in range(sign_in.MAX_FAILED_SIGN_INS + 1)
        ]
        assert [a.replace(":", "")[:40] for a in unknown_answers] == [a.replace(":", "")[:40] for a in known]
        assert len(checks) == 2 * sign_in.MAX_FAILED_SIGN_INS  # a hash is checked for unknown emails too

    def test_an_unknown_email_and_an_account_lock_alike_after_a_pause(self, resources: Resources) -> None:
        """Four tries, a wait longer than the lockout, two more: an account counts all six, and so
        must an unknown email, or the sixth answer would tell which of the two has an account."""
        email = _user(resources)

        def tries(who: str, count: int) -> list[str]:
            return [_attempt(resources, who, "wrong password!")[:24] for _ in range(count)]

        known, unknown = tries(email, 4), tries("nobody@acme.example", 4)
        with resources.uow() as uow:
            later = SignInThrottle.window_started_at - sign_in.throttle.LOCKOUT - timedelta(minutes=1)
            aged = uow.session.execute(update(SignInThrottle).values(window_started_at=later))
            assert aged.rowcount == 1  # type: ignore[attr-defined]
            uow.commit()
        known, unknown = known + tries(email, 2), unknown + tries("nobody@acme.example", 2)
        assert known == unknown
        assert known[-1] == "Too many failed sign-ins"

    def test_an_unknown_email_takes_as_long_as_a_wrong_password(self, resources: Resources) -> None:
        emails = [_user(resources, email=f"u{i}@acme.example") for i in range(3)]

        def timed(email: str) -> float:
            started = time.perf_counter()
            _attempt(resources, email, "wrong password!")
            return time.perf_counter() - started

        for _ in range(2):  # warm both paths
            timed(emails[0])
            timed("warm@acme.example")
        wrong = statistics.median(timed(email) for email in emails for _ in range(2))
        unknown = statistics.median(timed(f"ghost{i}@acme.example") for i in range(6))
        assert 0.5 < unknown / wrong < 2, (unknown, wrong)

    def test_one_address_is_throttled_across_accounts_and_others_are_not(self, resources: Resources) -> None:
        emails = [_user(resources, email=f"u{i}@acme.example") for i in range(5)]
        for i in range(sign_in.throttle.MAX_FAILED_PER_ADDRESS):
            assert _attempt(resources, emails[i % 5], f"guess number {i}", "203.0.113.9") == (
                sign_in.WRONG_CREDENTIALS
            )
        assert _attempt(resources, emails[0], PASSWORD, "203.0.113.9").startswith(
            "Too many failed sign-ins from your address"
        )
        assert _attempt(resources, "ghost@acme.example", PASSWORD, "203.0.113.9").startswith("Too many")
        assert _attempt(resources, emails[0], PASSWORD, "198.51.100.1") == "ok"
        assert _attempt(resources, emails[0], PASSWORD, "::ffff:198.51.100.1") == "ok"

    def test_an_ipv6_host_is_throttled_by_its_64_not_address_by_address(self, resources: Resources) -> None:
        emails = [_user(resources, email=f"v{i}@acme.example") for i in range(5)]
        for i in range(sign_in.throttle.MAX_FAILED_PER_ADDRESS):
            # a fresh address of the same /64 each time, spelled as people and proxies write them
            address = f"2001:db8:0:1:{i:x}::{i + 1:x}" if i % 2 else f"2001:0DB8:0000:0001:0:0:{i:x}:1"
            assert (
                _attempt(resources, emails[i % 5], f"guess number {i}", address) == sign_in.WRONG_CREDENTIALS
            )
        assert _attempt(resources, emails[0], PASSWORD, "2001:db8:0:1:ffff::7").startswith("Too many")
        assert _attempt(resources, emails[0], PASSWORD, "2001:db8:0:2::7") == "ok", (
            "the next /64 is another host"
        )

    def test_a_success_gives_back_its_try_to_the_address(self, resources: Resources) -> None:
        email = _user(resources)
        for _ in range(3 * sign_in.throttle.MAX_FAILED_PER_ADDRESS):
            assert _attempt(resources, email, PASSWORD, "192.0.2.1") == "ok"

    def test_every_refusal_is_audited_with_its_address_and_email(self, resources: Resources) -> None:
        email = _user(resources)
        networks.allow_network(resources, ADMIN, "10.0.0.0/8")
        _attempt(resources, email, "wrong password!", "10.1.1.1")
        _attempt(resources, "ghost\x00@acme.example\ud800", "x", "10.1.1.2")
        _attempt(resources, email, PASSWORD, "203.0.113.9")
        rows = [(r.ip_address, r.user_id is not None, r.after) for r in _auth_failures(resources)]
        assert rows == [
            ("10.1.1.1", True, {"email": email, "reason": "wrong password"}),
            ("10.1.1.2", False, {"email": "ghost\\x00@acme.example\\ud800", "reason": "no such account"}),
            ("203.0.113.9", True, {"email": email, "reason": "address not allowed"}),
        ]
        assert all(r.tenant_id == "acme" for r in _auth_failures(resources))


NEW_PASSWORD = "Quiet-Harbour-Lantern-92"


def _actions(resources: Resources) -> list[str]:
    with resources.uow() as uow:
        return list(uow.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


class TestPasswords:
    def test_a_user_changes_their_own_password_and_it_is_audited(self, resources: Resources) -> None:
        email = _user(resources)
        old_session = sign_in.sign_in(resources, "acme", email, PASSWORD, None)
        signed = sign_in.sign_in(resources, "acme", email, PASSWORD, "10.0.0.5", new_password=NEW_PASSWORD)
        assert signed.actor.role == "analyst"
        assert _actions(resources)[-2:] == ["user.password_change", "auth.login"]
        with pytest.raises(AuthenticationError):  # the old password's sessions end
            sign_in.resolve(resources, old_session.token, None)
        assert _attempt(resources, email, PASSWORD) == sign_in.WRONG_CREDENTIALS
        assert _attempt(resources, email, NEW_PASSWORD) == "ok"

    @pytest.mark.parametrize(
        ("new", "message"),
        [
            ("short", "at least 12"),
            ("password1234", "stronger"),
            ("ana@acme.example", "email address"),
            ("ANA@ACME.EXAMPLE 2", "email address"),
            (PASSWORD, "must differ"),
            ("a\x00long enough passphrase", "NUL"),
            ("a\udfffl ong enough passphrase", "surrogate"),
        ],
    )
    def test_a_weak_new_password_changes_nothing(self, resources: Resources, new: str, message: str) -> None:
        email = _user(resources)
        before = _audits(resources)
        with pytest.raises(InvalidInputError, match=message):
            sign_in.sign_in(resources, "acme", email, PASSWORD, None, new_password=new)
        assert _audits(resources) == before
        assert _attempt(resources, email, PASSWORD) == "ok"

    def test_the_current_password_must_be_right_and_tries_count(self, resources: Resources) -> None:
        email = _user(resources)
        for _ in range(sign_in.MAX_FAILED_SIGN_INS):
            with pytest.raises(AuthenticationError, match="do not match"):
                sign_in.sign_in(resources, "acme", email, "wrong password!", None, new_password=NEW_PASSWORD)
        with pytest.raises(AuthenticationError, match="Too many"):
            sign_in.sign_in(resources, "acme", email, PASSWORD, None, new_password=NEW_PASSWORD)

    def test_an_admin_reset_forces_a_change_at_the_next_sign_in(self, resources: Resources) -> None:
        email = _user(resources)
        held = sign_in.sign_in(resources, "acme", email, PASSWORD, None)
        user_id = held.actor.user_id
        assert user_id is not None
        users.reset_password(resources, ADMIN, user_id, "Temporary-Kettle-Orbit-7")
        assert "user.password_reset" in _actions(resources)
        with pytest.raises(AuthenticationError):
            sign_in.resolve(resources, held.token, None)
        with resources.uow() as uow:
            sessions_before = uow.session.scalar(select(func.count()).select_from(UserSession))
        with pytest.raises(PasswordChangeRequiredError, match="choose a new one"):
            sign_in.sign_in(resources, "acme", email, "Temporary-Kettle-Orbit-7", None)
        with resources.uow() as uow:  # no session was opened with the reset password
            assert uow.session.scalar(select(func.count()).select_from(UserSession)) == sessions_before
        assert _attempt(resources, email, PASSWORD) == sign_in.WRONG_CREDENTIALS
        sign_in.sign_in(resources, "acme", email, "Temporary-Kettle-Orbit-7", None, new_password=NEW_PASSWORD)
        assert _attempt(resources, email, NEW_PASSWORD) == "ok"

    @pytest.mark.parametrize("temporary", ["short", "password1234", "ana@acme.example", "x\x00" * 8])
    def test_a_weak_reset_is_refused_with_nothing_written(self, resources: Resources, temporary: str) -> None:
        email = _user(resources)
        user_id = sign_in.sign_in(resources, "acme", email, PASSWORD, None).actor.user_id
        assert user_id is not None
        before = _audits(resources)
        with pytest.raises(InvalidInputError):
            users.reset_password(resources, ADMIN, user_id, temporary)
        assert _audits(resources) == before
        assert _attempt(resources, email, PASSWORD) == "ok"

    def test_only_admins_reset_and_only_in_their_workspace(self, resources: Resources) -> None:
        email = _user(resources)
        user_id = sign_in.sign_in(resources, "acme", email, PASSWORD, None).actor.user_id
        assert user_id is not None
        with pytest.raises(PermissionDeniedError):
            users.reset_password(resources, role_actor("acme", "analyst"), user_id, NEW_PASSWORD)
        with pytest.raises(InvalidInputError, match="does not exist"):
            users.reset_password(resources, system_actor("other"), user_id, NEW_PASSWORD)

    def test_the_demo_accounts_passwords_meet_the_policy(self, resources: Resources) -> None:
        accounts = demo.ensure_demo_users(resources, system_actor("demo"))
        assert len(accounts) == 4
        for account in accounts:
            assert sign_in.sign_in(resources, "demo", account.email, account.password, None).actor.role == (
                account.role
            )
            assert account.password not in repr(account), "never in a log line or a traceback's locals"
