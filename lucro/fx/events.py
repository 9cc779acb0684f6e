"""Exchange rates' event: ``rates_changed``, sent once the change has committed.

Reports (above) subscribe to invalidate cached converted summaries; this app knows
nothing of them. Sent on commit and robustly, like the lifecycle owner's events
(``lucro.ingestion.events.publish``): a receiver never sees a change that is rolled back,
and one that fails after the commit is logged without failing the request or the load.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

import structlog
from django.db import transaction
from django.dispatch import Signal

from lucro.fx.cache import fx_bump

# Rates were created or changed. Args: organization_id (UUID: that organization's own
# uploads; None: the shared reference rates, which every organization uses), currencies
# (frozenset[str]: the codes of the rows written, bases and quotes), dates ((first, last)
# dates of the rows written).
rates_changed = Signal()

logger = structlog.get_logger(__name__)


def rates_changed_publish(
    *,
    organization_id: uuid.UUID | None,
    currencies: Iterable[str],
    dates: tuple[dt.date, dt.date],
) -> None:
    """Bump the rates' cache version (``fx_version``) now and on commit, then send
    ``rates_changed`` on commit.

    The bump now makes the writer's own transaction, and anything run inside it, read the
    new rates (a cache keyed by the old version would not serve them); the bump on commit
    retires whatever another process computed from the old rows in between. Callbacks
    are robust: a cache that is down does not keep receivers from hearing of the change,
    and a failing receiver does not undo the bump.
    """
    codes = frozenset(currencies)
    try:
        fx_bump(organization_id)
    except Exception:  # the cache is unreachable: the bump on commit tries again
        logger.warning("fx_version_bump_failed", organization_id=str(organization_id))
    transaction.on_commit(lambda: fx_bump(organization_id), robust=True)
    transaction.on_commit(
        lambda: rates_changed.send(
            sender=rates_changed,
            organization_id=organization_id,
            currencies=codes,
            dates=dates,
        ),
        robust=True,
    )
