"""Fixtures shared by the enrichment tests that run real worker processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lucro.enrichment import tasks
from lucro.enrichment.tasks import enrich_batch, rerun_select
from lucro.enrichment.tests.test_workers import Workers


@pytest.fixture
def workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workers]:
    """Real workers on a queue of the test's own; what this process queues goes there too."""
    queue = f"test-{uuid.uuid4().hex[:12]}"

    def send(batch_id: uuid.UUID | str) -> None:
        enrich_batch.apply_async((str(batch_id),), queue=queue)

    # Not the shared default queue: the workers' own messages go to the test queue as well
    # (their default queue, worker_settings).
    monkeypatch.setattr(tasks, "_send_batch", send)
    monkeypatch.setattr(
        tasks, "_send_rerun", lambda job: rerun_select.apply_async((job,), queue=queue)
    )
    pool = Workers(queue, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
