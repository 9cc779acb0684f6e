"""GraphQL benchmark (SPEC §16): a page of 100 transactions with category and account.

An organization of 5 000 transactions over 5 accounts (ingested through ``batch_ingest``,
completed with categories by one UPDATE per half, as a worker writes back) is read a page
of 100 at a time, in-process through the whole middleware and DRF stack (as bench.auth
does): ``POST /api/v1/graphql/`` asking for each transaction's fields, category (with its
primary) and account, alternated with the REST list of the same 100
(``GET /api/v1/transactions/?limit=100``), so that both see the same machine. The SQL
queries of one GraphQL request are counted, authentication and rate limit included.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import BenchRow, p50, p95, tables_vacuum

N_TRANSACTIONS = 5_000
ACCOUNTS = 5
REQUESTS = 300
WARMUP = 30
TARGET_MS = 30.0
TARGET_QUERIES = 4
URL = "/api/v1/graphql/"
QUERY = """query Page($after: String) {
  transactions(first: 100, after: $after) {
    edges { cursor node {
      id transactionId amount currency date description merchantName ingestionStatus
      category { slug name primary { slug name } }
      account { accountId name type currency }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _load(organization: Any) -> None:
    from lucro.ingestion.models import Transaction
    from lucro.ingestion.services import batch_ingest
    from lucro.taxonomy.models import Category

    per = N_TRANSACTIONS // ACCOUNTS
    for a in range(ACCOUNTS):
        account_id = f"bench_gql_{a}"
        body = {
            "accounts": [{"account_id": account_id, "name": f"Account {a}", "type": "depository"}],
            "transactions": [
                {
                    "transaction_id": f"g{a}_{i}",
                    "account_id": account_id,
                    "amount": f"-{(i % 500) + 1}.25",
                    "iso_currency_code": "USD",
                    "date": f"2025-{(i % 12) + 1:02d}-{(i % 28) + 1:02d}",
                    "name": f"MERCHANT {i % 40}",
                    "merchant_name": f"Merchant {i % 40}",
                }
                for i in range(per)
            ],
        }
        batch_ingest(
            organization=organization,
            body=json.dumps(body).encode(),
            api_key=None,
            idempotency_key=None,
        )
    detailed = list(Category.objects.filter(parent__isnull=False).order_by("slug")[:2])
    rows = Transaction.objects.filter(organization=organization)
    for half, category in zip(("0", "1"), detailed, strict=True):
        rows.filter(transaction_id__regex=rf"[{'02468' if half == '0' else '13579'}]$").update(
            ingestion_status="completed", category=category, category_source="rule"
        )


def _timed(send: Callable[[], None]) -> float:
    started = time.perf_counter()
    send()
    return time.perf_counter() - started


def run() -> list[BenchRow]:
    from lucro.enrichment import tasks
    from lucro.tenancy.models import Organization
    from lucro.tenancy.services import api_key_create

    tasks._send_batch = lambda batch_id: None  # the bench plays the worker: no queue
    organization = Organization.objects.create(name=f"bench-graphql-{uuid.uuid4().hex[:8]}")
    try:
        _load(organization)
        # As autovacuum leaves a table some seconds after a load: with the statistics
        # of before it, the planner guessed the new organization's accounts empty.
        tables_vacuum("ingestion_transaction", "ingestion_account")
        client = Client()
        headers = {"Authorization": f"Token {api_key_create(organization=organization).raw_key}"}
        body = json.dumps({"query": QUERY})

        def graphql() -> None:
            answer = client.post(URL, body, content_type="application/json", headers=headers)
            assert answer.status_code == 200, answer.content
            assert len(answer.json()["data"]["transactions"]["edges"]) == 100

        def rest() -> None:
            answer = client.get("/api/v1/transactions/", {"limit": 100}, headers=headers)
            assert answer.status_code == 200, answer.content

        for _ in range(WARMUP):
            graphql()
            rest()
        with CaptureQueriesContext(connection) as captured:
            graphql()
        queries = len(captured.captured_queries)
        graph_times, rest_times = [], []
        for _ in range(REQUESTS):
            graph_times.append(_timed(graphql))
            rest_times.append(_timed(rest))
    finally:
        organization.delete()
    graph_p95 = p95(graph_times) * 1000
    ok = graph_p95 <= TARGET_MS and queries <= TARGET_QUERIES
    return [
        BenchRow(
            f"GraphQL: 100 transactions with category and account ({N_TRANSACTIONS:,} txns, "
            f"in-process, {REQUESTS} requests alternated with REST)",
            f"p50 {p50(graph_times) * 1000:.2f} / p95 {graph_p95:.2f} ms, {queries} SQL queries",
            f"p95 ≤ {TARGET_MS:.0f} ms, ≤ {TARGET_QUERIES} queries",
            f"REST list of 100: p50 {p50(rest_times) * 1000:.2f} / "
            f"p95 {p95(rest_times) * 1000:.2f} ms",
            "PASS" if ok else "FAIL",
        )
    ]
