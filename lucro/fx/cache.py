"""Cache versions of the exchange rates, for whoever caches something converted with them.

``fx_version(organization_id)`` changes whenever that organization's own rates or the
shared ones change (``events.rates_changed_publish`` bumps them on commit), so a converted
summary cached under a key that includes it is never served after a rate it used changed.
"""

from __future__ import annotations

import uuid

from lucro.core.cacheversions import versions_bump, versions_get

_SHARED = "shared"


def _version_key(organization_id: uuid.UUID | str | None) -> str:
    return f"fxver:{organization_id if organization_id is not None else _SHARED}"


def fx_version_keys(organization_id: uuid.UUID | str | None) -> list[str]:
    """The counters ``fx_version`` reads: for a caller that reads them with its own in one
    round trip (``lucro.core.cacheversions.versions_get``)."""
    if organization_id is None:
        return [_version_key(None)]
    return [_version_key(None), _version_key(organization_id)]


def fx_version(organization_id: uuid.UUID | str | None) -> str:
    """Return the version of the rates the organization sees (the shared rates' if None).

    One round trip to the cache (both versions at once): every converted report asks."""
    return ".".join(map(str, versions_get(fx_version_keys(organization_id))))


def fx_bump(organization_id: uuid.UUID | str | None) -> None:
    """Change the version of the organization's own rates (None: the shared rates) now."""
    versions_bump([_version_key(organization_id)])
