"""Ingestion's Prometheus metrics (served by lucro.ops.metrics; no unbounded label)."""

from __future__ import annotations

from prometheus_client import Counter

TRANSACTIONS_INGESTED = Counter(
    "lucro_transactions_ingested_total", "Transactions received, by outcome.", ["outcome"]
)
INGEST_RETRIES = Counter(
    "lucro_ingest_retries_total",
    "Batch transactions run again after a deadlock or serialization failure.",
    ["reason"],
)
# Here, not in enrichment: a batch's final status is one of the batch's own transitions.
BATCHES_FINISHED = Counter(
    "lucro_batches_finished_total", "Batches that reached a final status.", ["status"]
)
