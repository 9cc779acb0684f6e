"""Re-categorisation jobs: 202 at once, rows moved in chunks by the workers, no overlap.

The selection task is called in-process here (``tasks.rerun_select``), as the enrichment
tests call the chunk services; ``test_rerun_workers.py`` runs it in real workers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from lucro.enrichment import enrichers, services, tasks
from lucro.enrichment.tests.helpers import add_rule, category, drain, ingest
from lucro.ingestion.models import Batch, CategorySource, Transaction
from lucro.reports import rollups as rollup_triggers
from lucro.reports.models import DailyRollup, MonthlyRollup
from lucro.reports.tests.vectors import day_vectors
from lucro.testing import ApiClient, make_batch

pytestmark = pytest.mark.django_db
RERUN = "/api/v1/categorisation/rerun/"
RULE_SLUG = "general-merchandise-online-marketplaces"


@pytest.fixture(autouse=True)
def _fresh_matcher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the process's compiled matcher: it is keyed by the rule-set version, which a
    rolled-back test leaves at the same number with other rules."""
    monkeypatch.setattr(enrichers, "_current", None)


def settled_batch(api: ApiClient, n: int, **kwargs: Any) -> uuid.UUID:
    """Ingest ``n`` rows and enrich them (uncategorised unless a rule matches)."""
    batch_id = ingest(api, n, **kwargs)
    drain(batch_id)
    return batch_id


def select_all(job_id: str, limit: int = 200) -> list[int]:
    """Run the job's selection task until its scope is exhausted; return rows per chunk."""
    moved = []
    for _ in range(limit):
        before = Batch.objects.get(pk=job_id).total_transactions
        assert before is None, "selection ran past its end"
        moved.append(tasks.rerun_select(job_id))
        if Batch.objects.get(pk=job_id).total_transactions is not None:
            return moved
    raise AssertionError("the selection did not end")


def snapshot(rows: Any) -> set[tuple[Any, ...]]:
    return set(
        rows.values_list("id", "batch_id", "ingestion_status", "category_id", "category_source")
    )


def cache_clear() -> None:
    """Empty this project's cache keys (never FLUSHDB: the database may hold a broker)."""
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")
    else:
        cache.clear()


def rollups() -> list[tuple[Any, ...]]:
    """Both rollup tables, empty groups left out (the triggers may keep a zeroed row)."""
    columns = ("category_key", "spend_count", "spend_sum", "income_count", "income_sum")
    daily = DailyRollup.objects.exclude(spend_count=0, income_count=0)
    monthly = MonthlyRollup.objects.exclude(spend_count=0, income_count=0)
    return (
        sorted(
            [("d", *row) for row in daily.values_list("account_id", "date", *columns)]
            + [("m", *row) for row in monthly.values_list("account_id", "month", *columns)],
            key=str,
        )
        + day_vectors()
    )


def test_rerun_answers_202_with_a_job_before_touching_any_row(api: ApiClient) -> None:
    settled_batch(api, 6, name="QQRERUN", merchant_name=None)
    rows = Transaction.objects.filter(organization=api.organization)
    before = snapshot(rows)

    response = api.post(RERUN, {"account_ids": ["acc_1"], "start_date": "2025-10-01"})

    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["links"]["self"] == f"/api/v1/batches/{body['batch_id']}/"
    assert (body["kind"], body["status"], body["total_transactions"]) == ("rerun", "pending", None)
    assert body["scope"] == {
        "account_ids": ["acc_1"],
        "start_date": "2025-10-01",
        "end_date": None,
        "only_uncategorised": False,
    }
    assert snapshot(rows) == before  # the workers move the rows, not the request
    detail = api.get(body["links"]["self"]).json()
    assert (detail["status"], detail["total_transactions"]) == ("pending", None)
    assert detail["scope"] == body["scope"]


def test_selection_moves_rows_in_chunks_and_ends_as_the_synchronous_rerun_did(
    api: ApiClient,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(tasks, "_send_chunks", lambda *args: queued.append(args))
    monkeypatch.setattr(tasks, "_send_rerun", lambda batch_id: None)
    settings.RERUN_CHUNK_SIZE = 3
    first = settled_batch(api, 7, name="QQRERUN A", merchant_name=None)
    second = settled_batch(api, 5, name="QQRERUN B", merchant_name=None, account_id="acc_2")
    manual = Transaction.objects.get(batch_id=first, transaction_id="tx_0")
    coffee = category("food-and-drink-coffee")
    response = api.patch(f"/api/v1/transactions/{manual.pk}/", {"category": coffee.slug})
    assert response.status_code == 200, response.content
    in_flight = ingest(api, 2, start=100, name="QQRERUN C", merchant_name=None)  # not drained
    summary_url = "/api/v1/reports/accounts/acc_1/summary/"
    dates = {"start_date": "2025-10-01", "end_date": "2025-10-31"}
    cached = api.get(summary_url, **dates).json()
    add_rule("qqrerun", RULE_SLUG, organization=api.organization)

    job = api.post(RERUN, {}).json()["batch_id"]
    moved = [tasks.rerun_select(job)]
    # Its first rows may all be enriched before the selection is over: still not finished.
    drain(uuid.UUID(job))
    assert Batch.objects.get(pk=job).status == "processing"
    detail = api.get(f"/api/v1/batches/{job}/").json()
    assert (detail["status"], detail["total_transactions"]) == ("processing", None)
    assert detail["counts"]["completed"] == moved[0] == 3

    with django_capture_on_commit_callbacks(execute=True):  # cache versions, enqueues
        moved += select_all(job)
        drain(uuid.UUID(job))
    assert len(moved) >= 4 and max(moved) <= 3, moved
    assert sum(moved) == 11
    # Each chunk queued one enrichment task for the rows it moved (one share covers them).
    assert queued == [(job, 1)] * sum(1 for n in moved[1:] if n)

    rerun = Transaction.objects.filter(batch_id=job)
    assert rerun.count() == 11
    assert set(rerun.values_list("ingestion_status", "category__slug", "category_source")) == {
        ("completed", RULE_SLUG, "rule")
    }
    manual.refresh_from_db()  # the user's category survives, where it was
    assert (manual.batch_id, manual.category_id, manual.category_source) == (
        first,
        coffee.pk,
        CategorySource.MANUAL,
    )
    assert set(Transaction.objects.filter(batch_id=in_flight).values_list("ingestion_status")) == {
        ("pending",)
    }
    assert not Transaction.objects.filter(batch_id=second).exists()
    job_row = Batch.objects.get(pk=job)
    assert (job_row.status, job_row.total_transactions) == ("completed", 11)
    assert job_row.finished_at is not None
    detail = api.get(f"/api/v1/batches/{job}/").json()
    assert (detail["status"], detail["total_transactions"]) == ("completed", 11)
    assert detail["counts"] == {"pending": 0, "processing": 0, "completed": 11, "failed": 0}

    # Reports: the rollups are what a rebuild from the rows gives, and the cached summary
    # was invalidated (the rows moved out of "uncategorised").
    kept = rollups()
    rollup_triggers.rebuild(connection)
    assert rollups() == kept
    fresh = api.get(summary_url, **dates).json()
    assert fresh != cached
    assert fresh["metrics"] == cached["metrics"]
    cache_clear()
    assert api.get(summary_url, **dates).json() == fresh


def test_only_uncategorised_and_filters_limit_the_selection(api: ApiClient, settings: Any) -> None:
    settings.MODEL_MIN_CONFIDENCE = 1.01  # QQLOOSE stays uncategorised: the model passes too
    add_rule("qqkeep", "food-and-drink-coffee", organization=api.organization)
    kept = settled_batch(api, 3, name="QQKEEP", merchant_name=None)
    loose = settled_batch(api, 4, start=10, name="QQLOOSE", merchant_name=None)
    other = settled_batch(api, 2, name="QQLOOSE", merchant_name=None, account_id="acc_2")
    late = Transaction.objects.filter(batch_id=loose, date__gt="2025-10-12")
    assert late.count() == 2  # tx_12 and tx_13

    job = api.post(
        RERUN, {"account_ids": ["acc_1"], "end_date": "2025-10-12", "only_uncategorised": True}
    ).json()["batch_id"]
    select_all(job)

    moved = set(Transaction.objects.filter(batch_id=job).values_list("transaction_id", flat=True))
    assert moved == {"tx_10", "tx_11"}
    assert Transaction.objects.filter(batch_id=kept).count() == 3
    assert Transaction.objects.filter(batch_id=other).count() == 2


def test_an_empty_scope_completes_at_its_first_chunk(api: ApiClient) -> None:
    settled_batch(api, 2)
    job = api.post(RERUN, {"start_date": "2030-01-01"}).json()["batch_id"]
    assert select_all(job) == [0]
    detail = api.get(f"/api/v1/batches/{job}/").json()
    assert (detail["status"], detail["total_transactions"]) == ("completed", 0)


def test_a_duplicate_selection_message_moves_nothing_twice(api: ApiClient, settings: Any) -> None:
    settings.RERUN_CHUNK_SIZE = 4
    settled_batch(api, 6)
    job = api.post(RERUN, {}).json()["batch_id"]
    assert tasks.rerun_select(job) == 4
    drain(uuid.UUID(job))  # the moved rows are settled again, under the job
    assert tasks.rerun_select(job) == 2
    assert tasks.rerun_select(job) == 0  # redelivered after the end: nothing
    rows = Transaction.objects.filter(batch_id=job)
    assert rows.count() == 6
    assert Batch.objects.get(pk=job).total_transactions == 6


@pytest.mark.parametrize(
    ("running", "second", "status"),
    [
        ({}, {"account_ids": ["acc_1"]}, 409),
        ({"account_ids": ["acc_1"]}, {}, 409),
        ({"account_ids": ["acc_1", "acc_2"]}, {"account_ids": ["acc_2"]}, 409),
        ({"only_uncategorised": True}, {"only_uncategorised": False}, 409),
        ({"start_date": "2025-10-05"}, {"end_date": "2025-10-05"}, 409),
        ({"start_date": "2025-10-01", "end_date": "2025-10-10"}, {"start_date": "2025-10-08"}, 409),
        ({"account_ids": ["acc_1"]}, {"account_ids": ["acc_2"]}, 202),
        ({"start_date": "2025-10-06"}, {"end_date": "2025-10-05"}, 202),
        ({"end_date": "2025-10-10"}, {"start_date": "2025-10-11", "end_date": "2025-10-20"}, 202),
    ],
)
def test_a_rerun_overlapping_a_running_one_is_refused(
    api: ApiClient, running: dict[str, Any], second: dict[str, Any], status: int
) -> None:
    settled_batch(api, 2)
    settled_batch(api, 2, account_id="acc_2")
    first = api.post(RERUN, running)
    assert first.status_code == 202, first.content

    response = api.post(RERUN, second)

    assert response.status_code == status, response.content
    if status == 409:
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"].endswith("/rerun-running")
        assert problem["batch_id"] == first.json()["batch_id"]
        assert problem["links"] == {"batch": first.json()["links"]["self"]}
        assert Batch.objects.filter(kind="rerun").count() == 1


def test_another_organization_and_a_finished_job_do_not_block(
    api: ApiClient, other_api: ApiClient
) -> None:
    settled_batch(api, 2)
    first = api.post(RERUN, {}).json()["batch_id"]
    assert other_api.post(RERUN, {}).status_code == 202
    assert api.post(RERUN, {}).status_code == 409

    select_all(first)
    assert api.post(RERUN, {}).status_code == 409  # its rows are still being enriched
    drain(uuid.UUID(first))
    assert Batch.objects.get(pk=first).status == "completed"
    assert api.post(RERUN, {}).status_code == 202


def test_unknown_and_other_tenants_account_ids_are_refused_alike(
    api: ApiClient, other_api: ApiClient
) -> None:
    settled_batch(api, 1)
    response = other_api.post(
        "/api/v1/integrations/transactions/", make_batch(1, account_id="acc_theirs")
    )
    assert response.status_code == 202

    response = api.post(RERUN, {"account_ids": ["acc_1", "acc_theirs", "acc_nobody"]})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["pointer"] for e in errors] == ["/account_ids/1", "/account_ids/2"]
    assert errors[0]["detail"] == "Unknown account 'acc_theirs'."
    assert errors[1]["detail"] == "Unknown account 'acc_nobody'."
    assert not Batch.objects.filter(kind="rerun").exists()


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"start_date": "2025-02-01", "end_date": "2025-01-01"}, "/start_date"),
        ({"start_date": "9999-12-31"}, "/start_date"),
        ({"account_ids": []}, "/account_ids"),
    ],
)
def test_rerun_filters_validate(api: ApiClient, body: dict[str, Any], pointer: str) -> None:
    response = api.post(RERUN, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


def test_sweeper_requeues_a_rerun_whose_selection_message_was_lost(
    api: ApiClient,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(tasks, "_send_rerun", sent.append)
    monkeypatch.setattr(tasks, "_send_chunks", lambda batch_id, tasks: None)
    monkeypatch.setattr(tasks, "_send_batch", lambda batch_id: None)
    settings.RERUN_CHUNK_SIZE = 2
    settled_batch(api, 3)
    with django_capture_on_commit_callbacks(execute=True):
        job = api.post(RERUN, {}).json()["batch_id"]
    assert sent == [job]
    with django_capture_on_commit_callbacks(execute=True):
        tasks.rerun_select(job)  # queues the next chunk: that message is "lost"
    assert sent == [job, job]

    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep(now=now).requeued_reruns == 0  # it made progress just now
    later = now + dt.timedelta(seconds=settings.ENRICH_VISIBILITY_TIMEOUT + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep(now=later).requeued_reruns == 1
    assert sent == [job, job, job]
    select_all(job)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep(now=later).requeued_reruns == 0  # selected: nothing to do
    drain(uuid.UUID(job))
    assert Batch.objects.get(pk=job).status == "completed"
