"""Concurrent requests with one idempotency key store one batch (real database locking)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from lucro.ingestion.models import Batch, Transaction
from lucro.testing import make_batch, make_client

URL = "/api/v1/integrations/transactions/"


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_store_one_batch():
    api = make_client("Concurrent Org")
    payload = make_batch(500, request_id="same-key")
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        try:
            barrier.wait()
            response = api.post(URL, payload)
            results.append((response.status_code, response.json().get("batch_id", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4
    assert {status for status, _ in results} == {202}
    assert len({batch_id for _, batch_id in results}) == 1
    assert Batch.objects.count() == 1
    assert Transaction.objects.count() == 500


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_batches_do_not_duplicate_rows():
    api = make_client("Overlap Org")
    api.post(URL, make_batch(1))  # the account exists before the race
    results: list[dict] = []
    barrier = threading.Barrier(2)

    def send(start: int) -> None:
        try:
            barrier.wait()
            results.append(api.post(URL, make_batch(300, start=start)).json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(s,)) for s in (0, 100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Transaction.objects.count() == 400
    assert sum(r["created"] for r in results) == 399  # tx_0 existed already
