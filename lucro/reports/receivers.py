"""What reports do when the lifecycle owner announces a change (connected in
``ReportsConfig.ready()``): the touched accounts' cached reports are invalidated."""

from __future__ import annotations

import uuid
from typing import Any

from lucro.reports.cache import accounts_bump


def transactions_changed_invalidate(
    *, account_ids: frozenset[uuid.UUID], organization_id: uuid.UUID | None = None, **_: Any
) -> None:
    """Bump the cache versions of the accounts whose transactions changed, and their
    organization's (read from the accounts when the event names several or none)."""
    accounts_bump(account_ids, None if organization_id is None else [organization_id])
