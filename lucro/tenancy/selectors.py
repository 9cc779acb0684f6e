from __future__ import annotations

import uuid

from django.db.models import QuerySet

from lucro.tenancy.models import ApiKey, Membership, Organization


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
