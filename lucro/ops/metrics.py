"""Lucro's own Prometheus metrics (django-prometheus covers HTTP and database basics).

No label carries an organization or any other unbounded value, so cardinality stays fixed.

Processes and workers: Lucro uses prometheus_client's **multiprocess mode**. When
``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn.conf.py and config/celery.py set it to
``$LUCRO_VAR_DIR/prometheus`` unless the environment already does), every process — each
gunicorn worker, each Celery prefork child — writes its samples to memory-mapped files in
that folder, and ``/metrics`` on any web process of the host aggregates them all, worker
metrics included. A worker host without a web process serves the same aggregate itself on
``WORKER_METRICS_PORT`` (see lucro.ops.signals). Without the variable (tests, ``runserver``)
the process's own registry is exposed. Counters and histograms survive their process: the
files of dead processes are folded into archive files, never deleted (see
lucro.ops.prometheus_files).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

TRANSACTIONS_INGESTED = Counter(
    "lucro_transactions_ingested_total", "Transactions received, by outcome.", ["outcome"]
)
INGEST_RETRIES = Counter(
    "lucro_ingest_retries_total",
    "Batch transactions run again after a deadlock or serialization failure.",
    ["reason"],
)
BATCHES_FINISHED = Counter(
    "lucro_batches_finished_total", "Batches that reached a final status.", ["status"]
)
ENRICHMENT_OUTCOMES = Counter(
    "lucro_enrichment_outcomes_total", "Transactions enriched, by category source.", ["source"]
)
ENRICHMENT_FAILURES = Counter(
    "lucro_enrichment_failures_total", "Transactions marked failed after their last attempt."
)
ENRICHMENT_LATENCY = Histogram(
    "lucro_enrichment_latency_seconds",
    "From a batch's receipt to a transaction's completion.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
CHUNK_DURATION = Histogram(
    "lucro_enrichment_chunk_duration_seconds",
    "Duration of one chunk task.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ROWS_IN_FLIGHT = Gauge(
    "lucro_transactions_in_flight",
    "Transactions pending or processing (queue lag).",
    ["status"],
    multiprocess_mode="mostrecent",
)
MATCHER_REBUILDS = Counter(
    "lucro_rule_matcher_rebuilds_total", "Times a worker recompiled the rule matcher."
)
OLDEST_PENDING_AGE = Gauge(
    "lucro_oldest_pending_age_seconds",
    "Age of the oldest transaction still waiting for enrichment (0 when none).",
    multiprocess_mode="mostrecent",
)


def multiprocess_dir() -> str | None:
    """Return the multiprocess folder when multiprocess mode is on."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def registry() -> CollectorRegistry:
    """The registry to expose: all processes of the host, or this process alone."""
    if multiprocess_dir():
        from lucro.ops.prometheus_files import MultiProcessLockedCollector

        aggregate = CollectorRegistry()
        MultiProcessLockedCollector(aggregate)
        return aggregate
    return REGISTRY


def queue_gauges_refresh() -> None:
    """Set the queue-lag gauges from the database (two reads on the in-flight index)."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from lucro.ingestion.models import IngestionStatus, Transaction

    in_flight = [IngestionStatus.PENDING, IngestionStatus.PROCESSING]
    counts: dict[str, int] = {str(status): 0 for status in in_flight}
    rows = (
        Transaction.objects.filter(ingestion_status__in=in_flight)
        .values("ingestion_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["ingestion_status"]] = row["n"]
    for status, n in counts.items():
        ROWS_IN_FLIGHT.labels(str(status)).set(n)
    oldest = Transaction.objects.filter(ingestion_status=IngestionStatus.PENDING).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    OLDEST_PENDING_AGE.set((timezone.now() - oldest).total_seconds() if oldest else 0.0)


def metrics_exposition(*, refresh_queue: bool = True) -> tuple[bytes, str]:
    """Return the exposition body and its content type."""
    if refresh_queue:
        try:
            queue_gauges_refresh()
        except Exception as exc:  # a dead database must not break the scrape
            import structlog

            structlog.get_logger(__name__).warning("queue_gauges_failed", error=type(exc).__name__)
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def histogram_observe_many(histogram: Histogram, value: float, count: int) -> None:
    """Record ``count`` observations of one ``value`` at once.

    A chunk's rows all finish at the same moment, so they share one latency; calling
    ``observe`` 2 000 times per chunk cost ≈ 2 ms of a ≈ 65 ms chunk. prometheus_client has
    no observe-with-count, so this does what ``Histogram.observe`` does (sum, then the one
    bucket the value falls in) with the count instead of 1. Pinned by a test against
    ``observe`` itself, so a library change that breaks it fails loudly.
    """
    if count <= 0:
        return
    histogram._raise_if_not_observable()
    histogram._sum.inc(value * count)
    for index, bound in enumerate(histogram._upper_bounds):
        if value <= bound:
            histogram._buckets[index].inc(count)
            break
