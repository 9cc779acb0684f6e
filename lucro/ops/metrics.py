"""Lucro's own Prometheus metrics (django-prometheus covers HTTP and database basics).

The apps define their metrics in their own ``metrics.py`` (``lucro.ingestion.metrics``,
``lucro.enrichment.metrics``); this module serves them all, with the queue-lag gauges.

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
    Gauge,
    generate_latest,
)

# Each app defines its own metrics (a lower layer never imports ops); importing them here
# registers them all in every process that serves /metrics, whatever it imported so far.
from lucro.enrichment import metrics as enrichment_metrics  # noqa: F401
from lucro.ingestion import metrics as ingestion_metrics  # noqa: F401

# The queue gauges are ops' own: ops may read ingestion's tables, ingestion does not need them.
ROWS_IN_FLIGHT = Gauge(
    "lucro_transactions_in_flight",
    "Transactions pending or processing (queue lag).",
    ["status"],
    multiprocess_mode="mostrecent",
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
