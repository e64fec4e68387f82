"""Counting failed sign-ins so that neither racing nor probing gets more tries than the limit.

Every attempt first *claims* a try in one UPDATE the database applies atomically
(a row lock on PostgreSQL, the write lock on SQLite), and only then is the password
checked. A claim that would pass the limit sets the lock in the same statement, so
forty concurrent wrong passwords get exactly `limit` checks and the rest find the
lock. A success gives its claim back.

Accounts count on their own row (`users`); addresses and emails without an
account count on `sign_in_throttles` rows.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import DateTime, and_, case, delete, false, literal, or_, select, update
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.base import aware, utcnow
from superinsight.db.models import User
from superinsight.db.models.security import SignInThrottle

MAX_FAILED_SIGN_INS = 5
MAX_FAILED_PER_ADDRESS = 20
LOCKOUT = timedelta(minutes=15)
ADDRESS, EMAIL = "address:", "email:"  # what a key starts with
SKEW = timedelta(minutes=1)  # how far apart the clocks of the app's and the scheduler's hosts may be


def _moment(value: datetime) -> object:
    return literal(value, DateTime(timezone=True))


def address_key(ip_address: str) -> str:
    """The throttled unit: an IPv4 address, or an IPv6 address's /64 — one host commonly holds a
    whole /64 and could otherwise try from a fresh address each time."""
    try:
        parsed = ipaddress.ip_address(ip_address)
    except ValueError:
        return f"{ADDRESS}{ip_address}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return f"{ADDRESS}{parsed.ipv4_mapped}"
        return f"{ADDRESS}{ipaddress.IPv6Network((parsed, 64), strict=False)}"
    return f"{ADDRESS}{parsed}"


def email_key(email: str) -> str:
    """An email without an account is kept only as a hash: the table must not collect typed secrets."""
    return EMAIL + hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()


def claim_account(session: Session, user_id: int, now: datetime | None = None) -> datetime | None:
    """Count one try against an account; the time it is locked until when no try is left.

    An expired lock starts the count again. Commits nothing: the caller commits
    before checking the password, so the claim holds whatever happens next.
    """
    now = now or utcnow()
    expired = User.locked_until.is_not(None)  # the WHERE below lets only expired locks through
    reached = and_(User.locked_until.is_(None), User.failed_login_count + 1 >= MAX_FAILED_SIGN_INS)
    claimed = session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= _moment(now)))
        .values(
            failed_login_count=case((expired, 1), else_=User.failed_login_count + 1),
            locked_until=case((reached, _moment(now + LOCKOUT)), else_=None),
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount:  # type: ignore[attr-defined]
        return None
    user = session.get(User, user_id, populate_existing=True)
    return aware(user.locked_until) if user is not None and user.locked_until is not None else now + LOCKOUT


def claim(
    session: Session,
    tenant_id: str,
    key: str,
    limit: int,
    now: datetime | None = None,
    *,
    windowed: bool = True,
) -> datetime | None:
    """Count one try against a key (an address, an unknown email); the lock's end when none is left.

    An address's count starts again after LOCKOUT. An unknown email's must not
    (`windowed=False`): it counts as an account does (`claim_account`, no window), or
    four tries, a wait, and two more would lock a real account and not an unknown
    email, telling a stranger which emails have accounts.
    """
    now = now or utcnow()
    row = SignInThrottle
    ended = row.window_started_at <= _moment(now - LOCKOUT) if windowed else false()
    restart = or_(row.locked_until.is_not(None), ended)
    reached = and_(~restart, row.failures + 1 >= limit)
    # Twice at most: `prune` may delete the row between the insert and the update (PostgreSQL
    # does not lock a row an insert found there), and the second insert then makes it again.
    for _ in range(2):
        session.execute(
            dialect.insert(session, row)
            .values(tenant_id=tenant_id, key=key, failures=0, window_started_at=now, locked_until=None)
            .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        )
        claimed = session.execute(
            update(row)
            .where(
                row.tenant_id == tenant_id,
                row.key == key,
                or_(row.locked_until.is_(None), row.locked_until <= _moment(now)),
            )
            .values(
                failures=case((restart, 1), else_=row.failures + 1),
                window_started_at=case((restart, _moment(now)), else_=row.window_started_at),
                locked_until=case((reached, _moment(now + LOCKOUT)), else_=None),
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount:  # type: ignore[attr-defined]
            return None
        found = session.execute(select(row.locked_until).where(row.tenant_id == tenant_id, row.key == key))
        if (locked := found.first()) is not None:
            return aware(locked[0]) if locked[0] is not None else now + LOCKOUT
    return now + LOCKOUT


def prune(session: Session, now: datetime | None = None) -> int:
    """Delete the rows a new one would equal: an address's whose window has passed with no lock
    running, an email's whose lock has ended (either would start again at one try), both by
    `SKEW` more, as the scheduler's clock may run ahead of the app's that claims.

    An unknown email's count under the limit is kept, as an account's is (dropping it would
    tell the two apart): a row per email tried stays, at most MAX_FAILED_PER_ADDRESS new ones
    per address per LOCKOUT.
    """
    past = (now or utcnow()) - SKEW
    row = SignInThrottle
    unlocked = or_(row.locked_until.is_(None), row.locked_until <= _moment(past))
    address_done = and_(
        row.key.startswith(ADDRESS), row.window_started_at <= _moment(past - LOCKOUT), unlocked
    )
    email_done = and_(row.key.startswith(EMAIL), row.locked_until <= _moment(past))
    deleted = session.execute(
        delete(row).where(or_(address_done, email_done)).execution_options(synchronize_session=False)
    )
    return int(deleted.rowcount)  # type: ignore[attr-defined]


def release(session: Session, tenant_id: str, key: str, limit: int) -> None:
    """A right password gives back the try it claimed (the address keeps its other failures)."""
    row = SignInThrottle
    session.execute(
        update(row)
        .where(row.tenant_id == tenant_id, row.key == key, row.failures > 0)
        .values(
            failures=row.failures - 1,
            locked_until=case((row.failures - 1 >= limit, row.locked_until), else_=None),
        )
        .execution_options(synchronize_session=False)
    )
