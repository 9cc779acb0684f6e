from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from lucro.core.errors import Conflict, Forbidden, ValidationFailed
from lucro.tenancy.keys import KEY_PREFIX, api_key_hash
from lucro.tenancy.models import ALL_SCOPES, ApiKey, Membership, Organization, Role
from lucro.tenancy.signals import tenancy_event
from lucro.tenancy.tokens import email_normalise

# auth.User.username holds the normalised email (its unique login).
EMAIL_MAX_LENGTH = 150


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    raw_key: str


@dataclass(frozen=True)
class CreatedUser:
    membership: Membership
    # Set when the password was generated here (the command line prints it once).
    generated_password: str | None


def _event(action: str, organization: Organization | None, actor: Any, **fields: Any) -> None:
    tenancy_event.send(
        sender=Organization,
        action=action,
        organization=organization,
        actor=actor,
        actor_user_id=fields.pop("actor_user_id", None),
        object_type=fields.pop("object_type"),
        object_id=fields.pop("object_id"),
        changes=fields.pop("changes", {}),
    )


@transaction.atomic
def organization_get_or_create(*, name: str) -> Organization:
    """Return the organization called ``name``, creating it if needed."""
    organization, _ = Organization.objects.get_or_create(name=name)
    return organization


def scopes_clean(scopes: Iterable[str]) -> list[str]:
    """Return the scopes in canonical order; refuse unknown ones."""
    given = list(scopes)
    unknown = sorted(set(given) - set(ALL_SCOPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown scope(s): {', '.join(unknown)}.",
            errors=[{"pointer": "/scopes", "detail": f"Each scope is one of {ALL_SCOPES}."}],
        )
    return [scope for scope in ALL_SCOPES if scope in given]


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    name: str = "default",
    scopes: Iterable[str] | None = None,
    actor: Any = None,
) -> CreatedApiKey:
    """Create a key for ``organization``; the raw key exists only in the return value."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=raw_key[: len(KEY_PREFIX) + 8],
        hashed_key=api_key_hash(raw_key),
        scopes=scopes_clean(ALL_SCOPES if scopes is None else scopes),
    )
    _event(
        "api_key.created",
        organization,
        actor,
        object_type="api_key",
        object_id=str(api_key.pk),
        changes={"name": name, "prefix": api_key.prefix, "scopes": api_key.scopes},
    )
    return CreatedApiKey(api_key=api_key, raw_key=raw_key)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Any = None) -> None:
    """Revoke ``api_key``; it stops authenticating at once."""
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        _event(
            "api_key.revoked",
            api_key.organization,
            actor,
            object_type="api_key",
            object_id=str(api_key.pk),
            changes={"prefix": api_key.prefix},
        )


# --- People -------------------------------------------------------------------------------


def email_clean(email: str) -> str:
    """Return the login form of an email (trimmed, lower case); refuse an invalid one."""
    normalised = email_normalise(email)
    try:
        if len(normalised) > EMAIL_MAX_LENGTH:
            raise DjangoValidationError(f"At most {EMAIL_MAX_LENGTH} characters.")
        validate_email(normalised)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "The email is not valid.",
            errors=[{"pointer": "/email", "detail": " ".join(exc.messages)}],
        ) from exc
    return normalised


def role_clean(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed(
            f"Unknown role {role!r}.",
            errors=[{"pointer": "/role", "detail": f"One of {Role.values}."}],
        )
    return role


def password_check(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "The password is too weak.",
            errors=[{"pointer": "/password", "detail": message} for message in exc.messages],
        ) from exc


def _owner_guard(actor: Any, *roles: str) -> None:
    """An admin manages everyone but owners: refuse if any of ``roles`` is owner."""
    actor_role = getattr(actor, "role", None)
    if actor_role == Role.ADMIN and Role.OWNER in roles:
        raise Forbidden("Only an owner may grant, change or remove the owner role.")


def _last_owner_guard(membership: Membership) -> None:
    """Refuse to leave the organization without an owner (locks its owners' rows)."""
    owners = list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    if owners == [membership.pk]:
        raise Conflict("An organization must keep at least one owner.")


@transaction.atomic
def user_create(
    *,
    organization: Organization,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
    actor: Any = None,
) -> CreatedUser:
    """Add a person to ``organization`` with ``role``.

    A new email makes a user (with ``password``, or a generated one); an email that already
    has a user (in another organization) gets the membership only: its password is the
    person's own and is not changed here.
    """
    email = email_clean(email)
    role = role_clean(role)
    _owner_guard(actor, role)
    user = User.objects.filter(username=email).first()
    generated = None
    if user is None:
        user = User(username=email, email=email, first_name=name[:150])
        if password is None:
            generated = password = secrets.token_urlsafe(18)
        password_check(password, user)
        user.set_password(password)
        user.save()
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, organization=organization, role=role)
    except IntegrityError as exc:
        raise Conflict("This person is already a member of the organization.") from exc
    _event(
        "user.created",
        organization,
        actor,
        object_type="user",
        object_id=str(membership.pk),
        changes={"email": email, "role": role},
    )
    return CreatedUser(membership=membership, generated_password=generated)


@transaction.atomic
def user_update(
    *, membership: Membership, changes: Mapping[str, Any], actor: Any = None
) -> Membership:
    """Change a member's name or role (owner rules and the last owner respected)."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    done: dict[str, Any] = {}
    if "role" in changes and changes["role"] != membership.role:
        role = role_clean(changes["role"])
        _owner_guard(actor, role, membership.role)
        if membership.role == Role.OWNER:
            _last_owner_guard(membership)
        done["role"] = {"from": membership.role, "to": role}
        membership.role = role
        membership.save(update_fields=["role"])
    if "name" in changes and changes["name"] != membership.user.first_name:
        _owner_guard(actor, membership.role)
        done["name"] = {"from": membership.user.first_name, "to": changes["name"]}
        membership.user.first_name = str(changes["name"])[:150]
        membership.user.save(update_fields=["first_name"])
    if done:
        _event(
            "user.role_changed" if "role" in done else "user.updated",
            membership.organization,
            actor,
            object_type="user",
            object_id=str(membership.pk),
            changes=done,
        )
    return membership


@transaction.atomic
def user_remove(*, membership: Membership, actor: Any = None) -> None:
    """End a membership; the person's refresh tokens for it die at once (receivers)."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _owner_guard(actor, membership.role)
    if membership.role == Role.OWNER:
        _last_owner_guard(membership)
    member_id = str(membership.pk)  # delete() clears it
    membership.delete()
    _event(
        "user.removed",
        membership.organization,
        actor,
        object_type="user",
        object_id=member_id,
        changes={"role": membership.role},
    )


@transaction.atomic
def organization_update(
    *, organization: Organization, changes: Mapping[str, Any], actor: Any = None
) -> Organization:
    """Change an organization's settings (its base currency); audit what changed."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    done: dict[str, Any] = {}
    if "base_currency" in changes and changes["base_currency"] != organization.base_currency:
        done["base_currency"] = {"from": organization.base_currency, "to": changes["base_currency"]}
        organization.base_currency = str(changes["base_currency"])
        organization.save(update_fields=["base_currency"])
    if done:
        _event(
            "organization.updated",
            organization,
            actor,
            object_type="organization",
            object_id=str(organization.pk),
            changes=done,
        )
    return organization
