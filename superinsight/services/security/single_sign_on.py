"""Signing in through an identity provider (OIDC via st.login): the provider says who, the workspace what."""

from __future__ import annotations

from sqlalchemy import select

from superinsight.db.models import User
from superinsight.resources import Resources
from superinsight.services import inputs
from superinsight.services.context import internal
from superinsight.services.errors import AuthenticationError
from superinsight.services.security.networks import check_ip
from superinsight.services.security.sign_in import SignIn, open_session, record_failure


@internal("the identity provider has signed the person in; this opens their session")
def sign_in_verified(
    resources: Resources, tenant_id: str, email: str, ip_address: str | None, *, email_verified: bool
) -> SignIn:
    """Open a session for an email an identity provider has verified.

    A provider proves an email only when it says it verified it (the `email_verified`
    claim): many let anyone register any address, so an unverified claim of an admin's
    email would sign a stranger in as that admin. A provider that does not send the claim
    is refused alike. Only people who already have an active account in the workspace
    get in: the provider proves who someone is, the workspace decides what they may do.
    """
    if not email_verified:
        record_failure(resources, tenant_id, None, ip_address, email, "single sign-on: email not verified")
        raise AuthenticationError(
            f"Your identity provider did not say it has verified {email}, so it cannot sign you in "
            "here: verify the address with the provider, or sign in with your password."
        )
    check_ip(resources, tenant_id, ip_address)
    with resources.uow() as uow:
        user = uow.session.scalar(
            select(User).where(
                User.tenant_id == tenant_id, User.email == inputs.text(email, "email").strip().lower()
            )
        )
        if user is not None and user.is_active:
            signed = open_session(resources, uow.session, user, ip_address)
            uow.commit()
            return signed
        user_id = user.id if user is not None else None
    record_failure(resources, tenant_id, user_id, ip_address, email, "single sign-on: no active account")
    raise AuthenticationError(f"{email} has no account in this workspace; ask an admin to add you.")
