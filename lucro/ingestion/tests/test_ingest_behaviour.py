"""Idempotency, upserts, auth and tenancy of the ingestion API."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from lucro.ingestion import transitions
from lucro.ingestion.models import Account, Batch, Transaction
from lucro.ingestion.store import Answer
from lucro.tenancy.services import api_key_revoke
from lucro.testing import make_batch

NO_ANSWER = Answer(category_id=None, confidence=0.0, source="none")
URL = "/api/v1/integrations/transactions/"


def test_accepted_shape_and_storage(api):
    payload = make_batch(2, request_id="req_abc123")
    payload["transactions"][0].update(
        amount=-100.10, date="2025-10-30T23:30:00-02:00", authorized_date="2025-10-30"
    )
    response = api.post(URL, payload)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending"
    assert body["request_id"] == "req_abc123"
    assert body["total_transactions"] == 2
    assert body["links"] == {"self": f"/api/v1/batches/{body['batch_id']}/"}
    txn = Transaction.objects.get(transaction_id="tx_0")
    assert txn.amount == Decimal("-100.10")
    # A datetime is stored as its UTC date plus the original timestamp.
    assert str(txn.date) == "2025-10-31"
    assert txn.occurred_at.isoformat() == "2025-10-31T01:30:00+00:00"
    assert txn.description == "AMAZON MARKETPLACE 0"
    assert txn.ingestion_status == "pending"
    assert txn.batch_id == Batch.objects.get().id
    assert Account.objects.get().currency == "USD"


def test_legacy_alias(api):
    assert api.post("/api/integrations/transactions/", make_batch(1)).status_code == 202


def test_replay_returns_original_response(api):
    payload = make_batch(3, request_id="req-1")
    first = api.post(URL, payload)
    second = api.post(URL, payload)
    assert second.status_code == 202
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert Batch.objects.count() == 1
    assert Transaction.objects.count() == 3


def test_idempotency_key_header(api):
    payload = make_batch(2)
    first = api.post(URL, payload, headers={"Idempotency-Key": "k-1"})
    again = api.post(URL, payload, headers={"Idempotency-Key": "k-1"})
    assert again.json()["batch_id"] == first.json()["batch_id"]
    assert first.json()["request_id"] == "k-1"


def test_same_key_different_body_is_409(api):
    api.post(URL, make_batch(2, request_id="req-2"))
    conflict = api.post(URL, make_batch(3, request_id="req-2"))
    assert conflict.status_code == 409
    assert conflict["Content-Type"] == "application/problem+json"
    assert Batch.objects.count() == 1
    assert Transaction.objects.count() == 2


def test_key_is_free_again_after_a_rejected_request(api):
    bad = make_batch(1, request_id="req-3", amount="x")
    assert api.post(URL, bad).status_code == 400
    assert api.post(URL, make_batch(1, request_id="req-3")).status_code == 202


def test_keys_are_per_organization(api, other_api):
    a = api.post(URL, make_batch(1, request_id="shared"))
    b = other_api.post(URL, make_batch(1, request_id="shared", account_id="b_acc"))
    assert b.status_code == 202
    assert a.json()["batch_id"] != b.json()["batch_id"]


def test_created_updated_unchanged(api):
    assert api.post(URL, make_batch(5)).json()["created"] == 5
    payload = make_batch(6)
    payload["transactions"][0]["amount"] = "-999.99"  # changed amount
    payload["transactions"][1]["pending"] = True  # changed pending
    payload["transactions"][2]["name"] = "RENAMED"  # changed description
    payload["transactions"][3]["amount"] = "-4.2500"  # same value, other scale: unchanged
    body = api.post(URL, payload).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 3, 2)
    assert Transaction.objects.count() == 6
    assert Transaction.objects.get(transaction_id="tx_0").amount == Decimal("-999.99")
    # Updated rows move to the new batch and go back to the queue.
    assert Transaction.objects.filter(batch_id=body["batch_id"]).count() == 4
    again = api.post(URL, payload).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 6)
    assert again["status"] == "completed"


def test_update_resets_enrichment_but_keeps_manual_category(api):
    from lucro.taxonomy.models import Category

    api.post(URL, make_batch(2))
    coffee = Category.objects.get(slug="food-and-drink-coffee")
    Transaction.objects.filter(transaction_id="tx_0").update(
        ingestion_status="completed",
        category=coffee,
        category_source="manual",
        category_confidence=1.0,
    )
    Transaction.objects.filter(transaction_id="tx_1").update(
        ingestion_status="completed",
        category=coffee,
        category_source="rule",
        category_confidence=1.0,
    )
    api.post(URL, make_batch(2, amount="-3.50"))
    manual = Transaction.objects.get(transaction_id="tx_0")
    ruled = Transaction.objects.get(transaction_id="tx_1")
    assert (manual.ingestion_status, manual.category_id, manual.category_source) == (
        "pending",
        coffee.id,
        "manual",
    )
    assert (ruled.ingestion_status, ruled.category_id, ruled.category_source) == (
        "pending",
        None,
        "none",
    )


def test_account_upsert_keeps_currency(api):
    api.post(URL, make_batch(1))
    payload = make_batch(1, start=10)
    payload["accounts"][0]["name"] = "Renamed"
    assert api.post(URL, payload).status_code == 202
    account = Account.objects.get()
    assert (account.name, account.currency) == ("Renamed", "USD")
    payload = make_batch(1, start=20)
    payload["accounts"][0]["iso_currency_code"] = "EUR"
    response = api.post(URL, payload)
    assert response.status_code == 400
    assert {"pointer": "/accounts/0/iso_currency_code"}.items() <= response.json()["errors"][
        0
    ].items()


def test_existing_account_need_not_be_resent(api):
    api.post(URL, make_batch(1))
    assert api.post(URL, make_batch(1, start=5, include_account=False)).status_code == 202


def test_account_currency_from_first_transaction_or_declared(api):
    payload = make_batch(1, account_id="kes_acc", currency="KES")
    api.post(URL, payload)
    assert Account.objects.get(account_id="kes_acc").currency == "KES"
    payload = make_batch(1, account_id="declared", currency="NGN")
    payload["accounts"][0]["iso_currency_code"] = "NGN"
    api.post(URL, payload)
    assert Account.objects.get(account_id="declared").currency == "NGN"


def test_no_credentials_is_401(api):
    response = api.client.post(URL, data="{}", content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "WWW-Authenticate" in response


@pytest.mark.parametrize("header", ["Token nope", "Token", "Bearer x y", "Token \u00e9\u00e9"])
def test_bad_credentials_are_401(api, header):
    response = api.client.post(
        URL, data="{}", content_type="application/json", headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert Batch.objects.count() == 0


def test_revoked_key_is_401(api):
    from lucro.tenancy.models import ApiKey

    api_key_revoke(api_key=ApiKey.objects.get(organization=api.organization))
    assert api.post(URL, make_batch(1)).status_code == 401


def test_bearer_scheme_accepted(api):
    response = api.client.post(
        URL,
        data=__import__("json").dumps(make_batch(1)),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert response.status_code == 202


def test_tenant_cannot_write_to_another_tenants_account(api, other_api):
    api.post(URL, make_batch(2, account_id="acc_A"))
    response = other_api.post(
        URL, make_batch(1, account_id="acc_A", include_account=False, start=50)
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "/transactions/0/account_id"
    # Declaring the same external id creates B's own account; A's is untouched.
    assert other_api.post(URL, make_batch(1, account_id="acc_A", start=50)).status_code == 202
    assert Account.objects.filter(account_id="acc_A").count() == 2
    a_account = Account.objects.get(account_id="acc_A", organization=api.organization)
    assert a_account.transactions.count() == 2


def test_tenant_cannot_see_another_tenants_batch(api, other_api):
    batch_id = api.post(URL, make_batch(1)).json()["batch_id"]
    assert api.get(f"/api/v1/batches/{batch_id}/").status_code == 200
    hidden = other_api.get(f"/api/v1/batches/{batch_id}/")
    missing = other_api.get("/api/v1/batches/00000000-0000-0000-0000-000000000000/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_batch_status_document(api):
    batch_id = api.post(URL, make_batch(3, request_id="r-9")).json()["batch_id"]
    body = api.get(f"/api/v1/batches/{batch_id}/").json()
    assert body["status"] == "pending"
    assert body["request_id"] == "r-9"
    assert body["counts"] == {"pending": 3, "processing": 0, "completed": 0, "failed": 0}
    assert body["received_at"]
    # The stored status is the truth, so the rows move through the owner's transitions, as
    # a worker moves them: one chunk of one row completes and the batch has started...
    pk, now = uuid.UUID(batch_id), timezone.now()
    with transaction.atomic():
        claim = transitions.transactions_claim(batch_id=pk, limit=1, now=now)
        transitions.batch_start(batch_id=pk, now=now)
        transitions.transactions_complete(claim=claim, answers=[NO_ANSWER], now=now)
    assert api.get(f"/api/v1/batches/{batch_id}/").json()["status"] == "processing"
    # ... then the other rows use their last attempt and fail: the batch has failed.
    with transaction.atomic():
        claim = transitions.transactions_claim(batch_id=pk, limit=2, now=now)
        transitions.transactions_fail_exhausted(claim=claim, reason="boom", max_attempts=1)
    transitions.batch_finish_check(batch_id=pk)
    assert api.get(f"/api/v1/batches/{batch_id}/").json()["status"] == "failed"
    assert api.get("/api/v1/batches/not-a-uuid/").status_code == 404


def test_enrichment_is_enqueued_after_commit(api, monkeypatch, django_capture_on_commit_callbacks):
    from lucro.enrichment import tasks

    sent: list[str] = []
    monkeypatch.setattr(tasks, "_send_batch", lambda batch_id: sent.append(str(batch_id)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch_id = api.post(URL, make_batch(2)).json()["batch_id"]
    assert sent == []  # nothing is sent before the transaction commits
    # The batch's event, then the queue request it makes (inside the test's transaction).
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert sent == [batch_id]
