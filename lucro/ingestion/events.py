"""The lifecycle owner's domain events: Django signals, sent once the change has committed.

Apps above the owner subscribe in their ``AppConfig.ready()`` and never the other way
round, so the owner knows nothing of queues, caches or budgets:

- enrichment queues work on ``batch_ready`` and ``rerun_selecting``;
- reports bump the touched accounts' cache versions on ``transactions_changed``;
- enrichment learns an organization's merchant memory from ``transaction_categorised``.

Every event is sent on commit (``publish``): a receiver never sees a change that is then
rolled back, and a change made inside a caller's transaction is announced when that
transaction commits. Receivers take ``**kwargs`` (signals may grow arguments).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

# A batch has pending rows to categorise. ``rows``: how many were just made pending (a
# re-run's chunk), or None for "look at the batch" (a new batch, a retry). ``new``: the
# batch was just received (its ``received_at`` says when it was first announced).
# Args: batch_id (UUID), rows (int | None), new (bool).
batch_ready = Signal()

# A re-run still has rows to select into its job (it was opened, or a chunk stopped short of
# the end of its scope). Args: batch_id (UUID).
rerun_selecting = Signal()

# Transactions were written in a way that can change a report: created, re-sent with new
# content, categorised, failed, returned to the queue, moved into a re-run, re-categorised
# by hand. Args: organization_id (UUID | None: several), account_ids (frozenset[UUID]),
# dates ((first, last) dates touched, or None when unknown: any date).
transactions_changed = Signal()

# A batch reached a terminal status. Args: batch_id (UUID), status (str).
batch_finished = Signal()

# Someone set (or cleared) a transaction's category by hand: a fix, and an example to learn
# from for that organization only. Sent besides ``transactions_changed``, which says only
# that reports moved. Args: organization_id (UUID), transaction_id (UUID: the row's pk),
# category_id (UUID | None: cleared), description (str | None), merchant_name (str | None),
# money_in (bool: the amount is positive).
transaction_categorised = Signal()


def publish(signal: Signal, **kwargs: Any) -> None:
    """Send ``signal`` with ``kwargs`` once the current transaction commits (now if none).

    Robust: the change has committed by then, so a receiver that fails (a cache or a
    broker that is down, a memory write that loses a race) is logged by Django and the
    request still answers with what it did; a 500 after a commit would invite a retry of
    work that is already done. Each receiver keeps its own recovery (the sweeper re-queues
    lost batches; cache entries expire).
    """
    transaction.on_commit(lambda: signal.send(sender=Signal, **kwargs), robust=True)


def transactions_changed_publish(
    *,
    account_ids: Iterable[uuid.UUID | str],
    dates: tuple[dt.date, dt.date] | None = None,
    organization_id: uuid.UUID | None = None,
) -> None:
    """Announce, on commit, that these accounts' transactions changed (if there are any)."""
    accounts = frozenset(uuid.UUID(str(pk)) for pk in account_ids)
    if accounts:
        publish(
            transactions_changed,
            organization_id=organization_id,
            account_ids=accounts,
            dates=dates,
        )
