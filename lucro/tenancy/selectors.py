from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from lucro.tenancy.models import ApiKey, Membership, Organization
from lucro.tenancy.principal import Principal


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def members(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user")


def member_get(*, organization: Organization, member_id: str) -> Membership | None:
    """Return the membership ``member_id`` of ``organization`` (another's is None)."""
    pk = _uuid(member_id)
    if pk is None:
        return None
    return members(organization=organization).filter(pk=pk).first()


def api_keys(*, organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization).select_related("organization")


def api_key_get(*, organization: Organization, key_id: str) -> ApiKey | None:
    pk = _uuid(key_id)
    if pk is None:
        return None
    return api_keys(organization=organization).filter(pk=pk).first()


def me(*, principal: Principal) -> dict[str, Any]:
    """Return who the caller is: a user (with role) or an API key (with scopes), and where."""
    organization = principal.organization
    body: dict[str, Any] = {"organization": {"id": organization.id, "name": organization.name}}
    if principal.user is not None:
        body["user"] = {
            "id": principal.member_id,
            "email": principal.user.email,
            "name": principal.user.first_name,
        }
        body["role"] = principal.role
    else:
        key = principal.api_key
        assert key is not None
        body["api_key"] = {
            "id": key.id,
            "name": key.name,
            "prefix": key.prefix,
            "scopes": key.scopes,
        }
    return body


def member_of(*, user_id: int | None, organization_id: str | None) -> Membership | None:
    """Return the user's membership of the organization (with both loaded), or None."""
    organization_pk = _uuid(str(organization_id))
    if user_id is None or organization_pk is None:
        return None
    return (
        Membership.objects.select_related("user", "organization")
        .filter(user_id=user_id, organization_id=organization_pk)
        .first()
    )
