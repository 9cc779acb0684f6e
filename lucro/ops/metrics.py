"""Lucro's own Prometheus metrics (django-prometheus covers HTTP and database basics).

No label carries an organization or any other unbounded value, so cardinality stays fixed.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TRANSACTIONS_INGESTED = Counter(
    "lucro_transactions_ingested_total", "Transactions received, by outcome.", ["outcome"])
BATCHES_FINISHED = Counter(
    "lucro_batches_finished_total", "Batches that reached a final status.", ["status"])
ENRICHMENT_OUTCOMES = Counter(
    "lucro_enrichment_outcomes_total", "Transactions enriched, by category source.", ["source"])
ENRICHMENT_FAILURES = Counter(
    "lucro_enrichment_failures_total", "Transactions marked failed after their last attempt.")
ENRICHMENT_LATENCY = Histogram(
    "lucro_enrichment_latency_seconds", "From a batch's receipt to a transaction's completion.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900))
CHUNK_DURATION = Histogram(
    "lucro_enrichment_chunk_duration_seconds", "Duration of one chunk task.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
ROWS_IN_FLIGHT = Gauge(
    "lucro_transactions_in_flight", "Transactions pending or processing (queue lag).",
    ["status"], multiprocess_mode="max")
MATCHER_REBUILDS = Counter(
    "lucro_rule_matcher_rebuilds_total", "Times a worker recompiled the rule matcher.")
