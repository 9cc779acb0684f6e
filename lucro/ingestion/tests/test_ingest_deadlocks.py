"""Concurrent ingests that name the same rows in different orders never answer 5xx.

Issue 10's reproductions, on a real PostgreSQL: batches naming the same accounts in opposite
orders, and clients sending overlapping, shuffled transaction ids. Before the fix both
deadlocked (``deadlock detected``) and answered 500. Then the retry: a deadlock made on
purpose around an ingest is retried and the request succeeds, and one that outlives the
retry budget is a ``503`` with ``Retry-After`` that leaves nothing behind.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from prometheus_client import REGISTRY

from lucro.ingestion.models import Account, Batch, Transaction
from lucro.testing import make_client

URL = "/api/v1/integrations/transactions/"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock deadlocks are PostgreSQL's; SQLite takes one write lock per database",
    ),
]


def _run_clients(count: int, work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads)


def _txn(i: int, account_id: str) -> dict[str, Any]:
    # One transaction id always carries the same content, whoever sends it.
    return {
        "transaction_id": f"tx_{i}",
        "account_id": account_id,
        "amount": f"-{i % 97 + 1}.50",
        "iso_currency_code": "USD",
        "date": f"2025-10-{i % 28 + 1:02d}",
        "name": f"SHOPRITE {i}",
        "pending": False,
    }


def _retries() -> float:
    return sum(
        REGISTRY.get_sample_value("lucro_ingest_retries_total", {"reason": reason}) or 0
        for reason in ("deadlock", "serialization")
    )


def test_accounts_named_in_opposite_orders():
    api = make_client("Deadlock Accounts Org")
    accounts = [
        {"account_id": f"a{i}", "name": f"Account {i}", "type": "depository"} for i in range(6)
    ]
    statuses: list[int] = []
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    lock = threading.Lock()

    def client(index: int) -> None:
        order = accounts if index % 2 == 0 else accounts[::-1]
        for request in range(20):
            # Each client renames the accounts now and then, so the upsert has real writes.
            named = [{**a, "name": f"{a['name']} v{request % 3}"} for a in order]
            txns = [
                _txn(index * 1000 + request * 6 + k, a["account_id"]) for k, a in enumerate(named)
            ]
            response = api.post(URL, {"accounts": named, "transactions": txns})
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 202:
                    for key in totals:
                        totals[key] += response.json()[key]

    _run_clients(4, client)
    assert statuses.count(202) == 80, sorted(set(statuses))
    assert totals == {"created": 480, "updated": 0, "unchanged": 0}
    assert Account.objects.filter(organization=api.organization).count() == 6
    assert Transaction.objects.filter(organization=api.organization).count() == 480


def test_overlapping_shuffled_transaction_ids():
    api = make_client("Deadlock Transactions Org")
    api.post(
        URL,
        {
            "accounts": [{"account_id": "acc", "name": "Main", "type": "depository"}],
            "transactions": [_txn(0, "acc")],
        },
    )
    statuses: list[int] = []
    sums = {"created": 0, "updated": 0, "unchanged": 0}
    sent = 0
    lock = threading.Lock()

    def client(index: int) -> None:
        nonlocal sent
        rng = random.Random(index)
        for _ in range(15):
            ids = rng.sample(range(1500), 300)  # already shuffled
            response = api.post(
                URL, {"accounts": [], "transactions": [_txn(i, "acc") for i in ids]}
            )
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 202:
                    body = response.json()
                    sent += 300
                    for key in sums:
                        sums[key] += body[key]

    _run_clients(8, client)
    assert statuses.count(202) == 120, sorted(set(statuses))
    stored = Transaction.objects.filter(organization=api.organization).count()
    # Every id is created exactly once (tx_0 existed); the rest of what was sent is unchanged.
    assert sums["created"] == stored - 1
    assert sums["updated"] == 0
    assert sums["created"] + sums["unchanged"] == sent


def _waiting_backends() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def _deadlock_around_ingest(api, payload: dict[str, Any], *, hold: float) -> Any:
    """Send ``payload`` while another session makes a lock cycle with it; return the response.

    The other session locks the batch's last row (sorted order) and, once the ingest waits
    on it, asks for the first row, which the ingest holds: a cycle. Its own
    ``deadlock_timeout`` is long, so PostgreSQL's detector picks the ingest as the victim.
    The other session keeps its locks ``hold`` seconds after that, then rolls back.
    """
    keys = sorted(t["transaction_id"] for t in payload["transactions"])
    first, last = keys[0], keys[-1]
    result: dict[str, Any] = {}

    def ingest() -> None:
        try:
            result["response"] = api.post(URL, payload)
        finally:
            connection.close()

    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SET LOCAL deadlock_timeout = '30s'")
            cursor.execute(
                "SELECT 1 FROM ingestion_transaction WHERE transaction_id = %s FOR UPDATE", [last]
            )
            thread = threading.Thread(target=ingest)
            thread.start()
            deadline = time.monotonic() + 20
            while _waiting_backends() == 0:
                assert time.monotonic() < deadline, "the ingest never waited on the held row"
                time.sleep(0.02)
            # Blocks until PostgreSQL breaks the cycle by failing the ingest's statement.
            cursor.execute(
                "SELECT 1 FROM ingestion_transaction WHERE transaction_id = %s FOR UPDATE", [first]
            )
            time.sleep(hold)
        other.rollback()
    finally:
        other.close()
    thread.join(timeout=60)
    return result["response"]


def _seed(api) -> dict[str, Any]:
    payload = {
        "accounts": [{"account_id": "acc", "name": "Main", "type": "depository"}],
        "transactions": [_txn(i, "acc") for i in range(50)],
    }
    assert api.post(URL, payload).status_code == 202
    # The same ids with new content: the ingest updates (and so locks) every row.
    for txn in payload["transactions"]:
        txn["amount"] = "-1.00"
    return payload


def test_a_deadlock_is_retried_and_the_batch_stored():
    api = make_client("Deadlock Retry Org")
    payload = _seed(api)
    payload["request_id"] = "retry-key"
    before = _retries()
    response = _deadlock_around_ingest(api, payload, hold=0.1)
    assert response.status_code == 202, response.content
    assert response.json()["updated"] == 50
    assert _retries() == before + 1
    # The idempotency key still answers with the batch the retry stored.
    again = api.post(URL, payload)
    assert again.status_code == 202
    assert again.json()["batch_id"] == response.json()["batch_id"]
    assert Batch.objects.filter(request_id="retry-key").count() == 1


def test_a_deadlock_past_the_retry_budget_is_503(settings):
    settings.INGEST_MAX_RETRIES = 0
    api = make_client("Deadlock Exhausted Org")
    payload = _seed(api)
    payload["request_id"] = "exhausted-key"
    batches = Batch.objects.count()
    response = _deadlock_around_ingest(api, payload, hold=0.1)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) >= 1
    assert response.json()["status"] == 503
    assert "Traceback" not in response.content.decode()
    # Nothing was stored and the key was not consumed: the client's retry goes through.
    assert Batch.objects.count() == batches
    assert set(Transaction.objects.values_list("amount", flat=True)) != {-1}
    retry = api.post(URL, payload)
    assert retry.status_code == 202
    assert retry.json()["updated"] == 50


def test_an_unchanged_account_is_not_locked_by_an_ingest():
    """Batches that only name an account (the usual case) do not queue behind each other."""
    api = make_client("Account Lock Org")
    account = {"account_id": "acc", "name": "Main", "type": "depository"}
    assert (
        api.post(URL, {"accounts": [account], "transactions": [_txn(0, "acc")]}).status_code == 202
    )
    other = connections.create_connection("default")
    result: dict[str, Any] = {}

    def ingest() -> None:
        try:
            payload = {"accounts": [account], "transactions": [_txn(1, "acc")]}
            result["status"] = api.post(URL, payload).status_code
        finally:
            connection.close()

    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            # Another ingest's open transaction holding the account row.
            cursor.execute("SELECT 1 FROM ingestion_account WHERE account_id = 'acc' FOR UPDATE")
            thread = threading.Thread(target=ingest)
            thread.start()
            thread.join(timeout=10)
            blocked = thread.is_alive()
        other.rollback()
    finally:
        other.close()
    thread.join(timeout=30)
    assert not blocked, "the ingest waited on a lock of an account it did not change"
    assert result["status"] == 202
