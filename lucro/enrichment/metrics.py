"""Enrichment's Prometheus metrics (served by lucro.ops.metrics; no unbounded label)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
MATCHER_REBUILDS = Counter(
    "lucro_rule_matcher_rebuilds_total", "Times a worker recompiled the rule matcher."
)
