"""Cache versions of the exchange rates, for whoever caches something converted with them.

``fx_version(organization_id)`` changes whenever that organization's own rates or the
shared ones change (``events.rates_changed_publish`` bumps them on commit), so a converted
summary cached under a key that includes it is never served after a rate it used changed.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache

_SHARED = "shared"


def _version_key(organization_id: uuid.UUID | str | None) -> str:
    return f"fxver:{organization_id if organization_id is not None else _SHARED}"


def _get(key: str) -> int:
    value = cache.get(key)
    return int(value) if value is not None else 0


def fx_version(organization_id: uuid.UUID | str | None) -> str:
    """Return the version of the rates the organization sees (the shared rates' if None).

    One round trip to the cache (both versions at once): every converted report asks."""
    shared_key = _version_key(None)
    if organization_id is None:
        return str(_get(shared_key))
    own_key = _version_key(organization_id)
    found = cache.get_many([shared_key, own_key])
    return f"{int(found.get(shared_key, 0))}.{int(found.get(own_key, 0))}"


def fx_bump(organization_id: uuid.UUID | str | None) -> None:
    """Change the version of the organization's own rates (None: the shared rates) now."""
    key = _version_key(organization_id)
    try:
        cache.incr(key)
    except ValueError:
        # Not there yet (or evicted): readers took a missing version as 0, and a random
        # one differs from it (and from whatever value was evicted) all but surely.
        cache.set(key, uuid.uuid4().int % (2**62) + 1, timeout=None)
