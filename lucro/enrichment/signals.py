"""Enrichment's requests for queued work: services ask, ``tasks.py`` sends.

Only ``tasks.py`` touches Celery. A service that needs a message sent (a batch to fan out,
chunk tasks, a re-run's next selection) calls ``work_request``; the request is sent on
commit, and the receiver in ``tasks.py`` (connected in ``EnrichmentConfig.ready()``) turns
it into messages. So services never import tasks, and tasks import services one way.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.dispatch import Signal

ENRICH_BATCH = "enrich_batch"
ENRICH_CHUNK = "enrich_chunk"
RERUN_SELECT = "rerun_select"

# Args: task (one of the names above), batch_id (str), count (int: how many messages).
work_requested = Signal()


def work_request(
    *, task: str, batch_id: uuid.UUID | str, count: int = 1, on_commit: bool = True
) -> None:
    """Ask for ``count`` messages of ``task`` for the batch once the transaction commits.

    ``on_commit=False`` sends now: for work that follows from committed state only (a
    fan-out), whatever transaction the caller may be in.
    """
    if count <= 0:
        return
    key = str(batch_id)

    def send() -> None:
        work_requested.send(sender=Signal, task=task, batch_id=key, count=count)

    if on_commit:
        transaction.on_commit(send)
    else:
        send()
