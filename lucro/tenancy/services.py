from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lucro.tenancy.models import ApiKey, Organization

KEY_PREFIX = "lk_"


def api_key_hash(raw_key: str) -> str:
    """Return the stored form of a raw key.

    A fast hash is enough (and right for a per-request check): keys are 256-bit random
    values, so there is nothing for a slow password hash to protect against.
    """
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    raw_key: str


@transaction.atomic
def organization_get_or_create(*, name: str) -> Organization:
    """Return the organization called ``name``, creating it if needed."""
    organization, _ = Organization.objects.get_or_create(name=name)
    return organization


@transaction.atomic
def api_key_create(*, organization: Organization, name: str = "default") -> CreatedApiKey:
    """Create a key for ``organization``; the raw key exists only in the return value."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=raw_key[: len(KEY_PREFIX) + 8],
        hashed_key=api_key_hash(raw_key),
    )
    return CreatedApiKey(api_key=api_key, raw_key=raw_key)


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke ``api_key``; it stops authenticating at once."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
