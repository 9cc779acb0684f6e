"""Logins and refresh tokens: issue, rotate with reuse detection, revoke (SPEC §9).

simplejwt signs and checks the tokens (HS256 with ``JWT_SIGNING_KEY``, expiry, type); this
module keeps every issued refresh token's ``jti`` in ``RefreshToken`` so that each is
single-use, and a replayed one revokes its user's whole session family in that organization.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken as SignedRefresh

from lucro.tenancy.models import Membership, Organization, RefreshToken
from lucro.tenancy.signals import tenancy_event


class LoginFailed(Exception):
    """Wrong email, wrong password, inactive user or no organization: one answer for all."""


class OrganizationAmbiguous(Exception):
    """The user belongs to several organizations and named none (or one not theirs)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RefreshRejected(Exception):
    """The refresh token is invalid, expired, used or revoked."""


@dataclass(frozen=True)
class Session:
    access: str
    refresh: str
    membership: Membership


def email_normalise(email: str) -> str:
    return email.strip().lower()


@cache
def _dummy_hash() -> str:
    # Hashed once per process: an unknown email costs the same Argon2 work as a wrong one.
    return make_password("lucro-timing-equaliser")


def session_issue(*, membership: Membership, now: dt.datetime | None = None) -> Session:
    """Issue an access and a refresh token for ``membership`` (the refresh one recorded)."""
    now = now or timezone.now()
    signed = SignedRefresh()
    signed["user_id"] = membership.user_id
    signed["organization_id"] = str(membership.organization_id)
    signed["role"] = membership.role
    RefreshToken.objects.create(
        jti=signed["jti"],
        user_id=membership.user_id,
        organization_id=membership.organization_id,
        issued_at=now,
        expires_at=dt.datetime.fromtimestamp(signed["exp"], tz=dt.UTC),
    )
    return Session(access=str(signed.access_token), refresh=str(signed), membership=membership)


def _membership_for_login(user: User, organization: str | None) -> Membership:
    memberships = list(Membership.objects.select_related("organization").filter(user=user))
    if not memberships:
        raise LoginFailed
    if organization is None or organization == "":
        if len(memberships) > 1:
            raise OrganizationAmbiguous(
                "This user belongs to several organizations: name one (its id or name)."
            )
        return memberships[0]
    for membership in memberships:
        if organization in (str(membership.organization_id), membership.organization.name):
            return membership
    raise OrganizationAmbiguous("This user is not a member of that organization.")


def member_authenticate(
    *, email: str, password: str, organization: str | None = None
) -> Membership:
    """Check the credentials; return the membership they open (failures are audited).

    The one check of every login, the API's tokens and the dashboard's session alike.
    """
    user = User.objects.filter(username=email_normalise(email)).first()
    if user is None:
        # The same Argon2 work as a real check, so timing does not reveal unknown emails.
        User(password=_dummy_hash()).check_password(password)
        tenancy_event.send(
            sender=Organization,
            action="auth.login_failed",
            organization=None,
            actor=None,
            actor_user_id=None,
            object_type="user",
            object_id=None,
            changes={"email": email_normalise(email)[:254]},
        )
        raise LoginFailed
    if not user.check_password(password) or not user.is_active:
        tenancy_event.send(
            sender=Organization,
            action="auth.login_failed",
            organization=None,
            actor=None,
            actor_user_id=user.pk,
            object_type="user",
            object_id=None,
            changes={"email": user.username},
        )
        raise LoginFailed
    return _membership_for_login(user, organization)


def login_record(*, membership: Membership) -> None:
    """Record a successful login of ``membership`` in the audit log."""
    tenancy_event.send(
        sender=Organization,
        action="auth.login",
        organization=membership.organization,
        actor=None,
        actor_user_id=membership.user_id,
        object_type="user",
        object_id=str(membership.pk),
        changes={},
    )


def login(*, email: str, password: str, organization: str | None = None) -> Session:
    """Check the credentials and open a session: an access and a refresh token."""
    membership = member_authenticate(email=email, password=password, organization=organization)
    now = timezone.now()
    with transaction.atomic():
        session = session_issue(membership=membership, now=now)
        User.objects.filter(pk=membership.user_id).update(last_login=now)
        # Each login sweeps the person's own expired records, so the table stays as small
        # as the live sessions without a periodic job.
        RefreshToken.objects.filter(user_id=membership.user_id, expires_at__lt=now).delete()
        login_record(membership=membership)
    return session


def _member_id(user_id: Any, organization_id: Any) -> str | None:
    """Return the person's id in the organization (their membership), as the API shows it."""
    pk = (
        Membership.objects.filter(user_id=user_id, organization_id=organization_id)
        .values_list("pk", flat=True)
        .first()
    )
    return str(pk) if pk is not None else None


def _signed(raw: str) -> SignedRefresh:
    try:
        return SignedRefresh(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise RefreshRejected from exc


def refresh(*, raw: str) -> Session:
    """Rotate: the presented refresh token is spent and a new pair is issued.

    A token already spent or revoked is a replay (stolen, or a client bug): every refresh
    token of that user in that organization is revoked, and the caller gets a 401.
    """
    signed = _signed(raw)
    now = timezone.now()
    reused = False
    with transaction.atomic():
        record = (
            RefreshToken.objects.select_for_update().filter(jti=str(signed.get("jti", ""))).first()
        )
        if record is None:
            raise RefreshRejected
        if record.used_at is not None or record.revoked_at is not None:
            revoked = refresh_tokens_revoke(
                user_id=record.user_id, organization_id=record.organization_id, now=now
            )
            tenancy_event.send(
                sender=Organization,
                action="auth.token_reuse",
                organization=record.organization,
                actor=None,
                actor_user_id=record.user_id,
                object_type="user",
                object_id=_member_id(record.user_id, record.organization_id),
                changes={"revoked_refresh_tokens": revoked},
            )
            reused = True
        else:
            membership = (
                Membership.objects.select_related("organization", "user")
                .filter(
                    user_id=record.user_id,
                    organization_id=record.organization_id,
                    user__is_active=True,
                )
                .first()
            )
            if membership is None:
                raise RefreshRejected
            record.used_at = now
            record.save(update_fields=["used_at"])
            session = session_issue(membership=membership, now=now)
    if reused:
        # Raised after the commit: the revocation must outlive the refusal.
        raise RefreshRejected
    return session


def logout(*, user_id: Any, organization_id: Any, raw: str) -> None:
    """Revoke the caller's refresh token (it must be theirs, in this organization)."""
    signed = _signed(raw)
    updated = RefreshToken.objects.filter(
        jti=str(signed.get("jti", "")), user_id=user_id, organization_id=organization_id
    )
    if not updated.exists():
        raise RefreshRejected
    updated.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def refresh_tokens_revoke(
    *, user_id: Any, organization_id: Any = None, now: dt.datetime | None = None
) -> int:
    """Revoke every live refresh token of a user (in one organization, or everywhere)."""
    tokens = RefreshToken.objects.filter(user_id=user_id, revoked_at__isnull=True)
    if organization_id is not None:
        tokens = tokens.filter(organization_id=organization_id)
    return tokens.update(revoked_at=now or timezone.now())


def refresh_tokens_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the records of every refresh token that has expired (they can no longer be
    used); a login already sweeps its own user's."""
    deleted, _ = RefreshToken.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
