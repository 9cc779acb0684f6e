"""Shared pieces of `make bench`: timing helpers and the result table."""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class BenchRow:
    """One line of the results table."""

    path: str
    measured: str
    target: str
    reference: str
    verdict: str  # "PASS", "FAIL" or "-" when there is no target


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Run ``fn`` ``repeat`` times; return each run's wall time in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def print_table(rows: list[BenchRow]) -> None:
    headers = ("path", "measured", "target", "reference (same run)", "verdict")
    cells = [headers] + [(r.path, r.measured, r.target, r.reference, r.verdict) for r in rows]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for index, row in enumerate(cells):
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
        if index == 0:
            print(line)
    print(line, flush=True)


def tables_vacuum(*tables: str) -> None:
    """VACUUM ANALYZE ``tables`` on PostgreSQL (nothing elsewhere).

    Each section starts from the state autovacuum keeps a production table in: without
    this, the dead rows an earlier section (or run) deleted are vacuumed by autovacuum in
    the middle of the next measurement, on the same two cores.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


@contextmanager
def private_queue(prefix: str) -> Iterator[tuple[str, dict[uuid.UUID, dt.datetime]]]:
    """Send the enrichment of every batch ingested meanwhile to a queue of the bench's own.

    Yields the queue's name and, per batch, when its message was sent (after the ingest's
    commit, as in production). A worker running beside the bench (``make run``) consumes
    only the default queue, so it neither competes for the CPU during a measurement nor
    finds the messages later: afterwards the queue is purged and deleted.
    """
    from django.utils import timezone
    from kombu import Exchange, Queue

    from config.celery import app
    from lucro.enrichment import tasks
    from lucro.enrichment.tasks import enrich_batch

    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    sent: dict[uuid.UUID, dt.datetime] = {}

    def send(batch_id: str) -> None:
        sent[uuid.UUID(batch_id)] = timezone.now()
        enrich_batch.apply_async((batch_id,), queue=name)

    original = tasks._send_batch
    tasks._send_batch = send
    try:
        yield name, sent
    finally:
        tasks._send_batch = original
        # Declared as Celery declares a queue named at send time (a direct exchange of the
        # same name), so that deleting it also removes its binding from the broker.
        with app.connection_for_write() as connection:
            queue = Queue(name, Exchange(name, type="direct"), routing_key=name)(connection)
            queue.declare()
            queue.purge()
            queue.delete()
            queue.exchange.delete()
