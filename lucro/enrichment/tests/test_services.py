"""Enrichment services, called in-process (the real-worker tests are in test_workers.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from lucro.enrichment import services, tasks
from lucro.enrichment.chain import Answer
from lucro.enrichment.tests.helpers import add_rule, category, drain, ingest, statuses
from lucro.ingestion import transitions
from lucro.ingestion.models import Batch, CategorySource, Transaction
from lucro.testing import ApiClient

pytestmark = pytest.mark.django_db
SWITCH = "lucro.enrichment.tests.enrichers.SwitchableEnricher"


def test_chunks_complete_a_batch_with_rule_categories(api: ApiClient, settings: Any) -> None:
    settings.ENRICH_CHUNK_SIZE = 7
    add_rule("zzmarket", "general-merchandise-online-marketplaces", organization=api.organization)
    batch_id = ingest(api, 20, name="ZZMARKET ORDER", merchant_name=None)
    drain(batch_id)
    assert statuses(batch_id) == {"completed": 20}
    rows = Transaction.objects.filter(batch_id=batch_id)
    assert {r.category.slug for r in rows} == {"general-merchandise-online-marketplaces"}
    assert {(r.category_source, r.category_confidence, r.attempts) for r in rows} == {
        ("rule", 1.0, 1)
    }
    batch = Batch.objects.get(pk=batch_id)
    assert batch.status == "completed"
    assert batch.started_at is not None and batch.finished_at is not None


def test_unmatched_rows_complete_uncategorised(api: ApiClient, settings: Any) -> None:
    settings.MODEL_MIN_CONFIDENCE = 1.01  # the learned model too passes
    batch_id = ingest(api, 3, name="QWXZY 77", merchant_name=None)
    drain(batch_id)
    assert set(
        Transaction.objects.filter(batch_id=batch_id).values_list(
            "ingestion_status", "category_id", "category_source"
        )
    ) == {("completed", None, "none")}


def test_chain_first_answer_wins(api: ApiClient, settings: Any) -> None:
    settings.ENRICHERS = [
        "lucro.enrichment.tests.enrichers.ModelLikeEnricher",
        "lucro.enrichment.enrichers.RuleEnricher",
    ]
    add_rule("acme", "general-merchandise-online-marketplaces", organization=api.organization)
    batch_id = ingest(api, 2, name="ACME LTD", merchant_name="Acme")
    drain(batch_id)
    row = Transaction.objects.filter(batch_id=batch_id).first()
    assert (row.category_source, row.category_model_version, row.category_confidence) == (
        "model",
        "t1",
        0.42,
    )


def test_manual_category_is_never_overwritten(api: ApiClient) -> None:
    add_rule("zzmarket", "general-merchandise-online-marketplaces", organization=api.organization)
    batch_id = ingest(api, 2, name="ZZMARKET", merchant_name=None)
    coffee = category("food-and-drink-coffee")
    Transaction.objects.filter(batch_id=batch_id, transaction_id="tx_0").update(
        category=coffee, category_source=CategorySource.MANUAL
    )
    drain(batch_id)
    manual = Transaction.objects.get(batch_id=batch_id, transaction_id="tx_0")
    assert (manual.category_id, manual.category_source, manual.ingestion_status) == (
        coffee.id,
        "manual",
        "completed",
    )


def test_write_back_skips_rows_whose_claim_went_stale(api: ApiClient) -> None:
    batch_id = ingest(api, 3, name="ZZMARKET", merchant_name=None)
    claim = transitions.transactions_claim(batch_id=batch_id, limit=10, now=timezone.now())
    assert len(claim) == 3
    # A re-ingest changed tx_0 meanwhile: back to pending, claim cleared.
    Transaction.objects.filter(batch_id=batch_id, transaction_id="tx_0").update(
        ingestion_status="pending", claimed_at=None
    )
    answer = Answer(category_id=category("food-and-drink-coffee").id, confidence=1.0, source="rule")
    written = transitions.transactions_complete(
        claim=claim, answers=[answer] * 3, now=timezone.now()
    )
    assert written == 2
    stale = Transaction.objects.get(batch_id=batch_id, transaction_id="tx_0")
    assert (stale.ingestion_status, stale.category_id) == ("pending", None)


def test_claims_are_disjoint(api: ApiClient) -> None:
    batch_id = ingest(api, 10)
    now = timezone.now()
    first = transitions.transactions_claim(batch_id=batch_id, limit=6, now=now)
    second = transitions.transactions_claim(
        batch_id=batch_id, limit=6, now=now + dt.timedelta(seconds=1)
    )
    assert (len(first), len(second)) == (6, 4)
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}
    assert len(transitions.transactions_claim(batch_id=batch_id, limit=6, now=now)) == 0


def test_failing_enricher_retries_then_fails_then_retry_completes(
    api: ApiClient, settings: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    switch = tmp_path / "switch"
    switch.write_text("raise")
    monkeypatch.setenv("LUCRO_TEST_ENRICHER_SWITCH", str(switch))
    settings.ENRICHERS = [SWITCH]
    settings.ENRICH_MAX_ATTEMPTS = 3
    batch_id = ingest(api, 4)
    result = services.chunk_process(batch_id=batch_id)
    tokens = []
    while result.retry_token is not None:
        assert result.retry_countdown > 0
        tokens.append(result.retry_token)
        result = services.chunk_process(batch_id=batch_id, retry_token=result.retry_token)
    assert len(tokens) == 2  # attempts 1 and 2 retried, attempt 3 failed
    rows = Transaction.objects.filter(batch_id=batch_id)
    assert {(r.ingestion_status, r.attempts) for r in rows} == {("failed", 3)}
    assert "enricher unavailable" in rows[0].failure_reason
    assert Batch.objects.get(pk=batch_id).status == "failed"

    switch.write_text("ok")
    response = api.post(f"/api/v1/batches/{batch_id}/retry/")
    assert response.status_code == 202
    assert response.json()["requeued"] == 4
    assert Batch.objects.get(pk=batch_id).status == "processing"
    drain(batch_id)
    assert statuses(batch_id) == {"completed": 4}
    assert Batch.objects.get(pk=batch_id).status == "completed"


def test_sweeper_returns_stuck_rows_and_fails_exhausted_ones(api: ApiClient, settings: Any) -> None:
    settings.ENRICH_MAX_ATTEMPTS = 2
    batch_id = ingest(api, 4)
    transitions.transactions_claim(batch_id=batch_id, limit=4, now=timezone.now())
    Transaction.objects.filter(batch_id=batch_id, transaction_id="tx_0").update(attempts=2)
    later = timezone.now() + dt.timedelta(seconds=settings.ENRICH_VISIBILITY_TIMEOUT + 1)
    result = services.sweep(now=later)
    assert (result.returned, result.failed) == (3, 1)
    assert statuses(batch_id) == {"pending": 3, "failed": 1}
    drain(batch_id)
    assert statuses(batch_id) == {"completed": 3, "failed": 1}
    assert Batch.objects.get(pk=batch_id).status == "failed"


def test_sweeper_requeues_batches_whose_message_was_lost(
    api: ApiClient, settings: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(tasks, "_send_batch", sent.append)
    batch_id = ingest(api, 2)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep(now=now).requeued_batches == 0  # young: its message may be queued
    later = now + dt.timedelta(seconds=settings.ENRICH_VISIBILITY_TIMEOUT + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep(now=later).requeued_batches == 1
    assert sent == [str(batch_id)]


def test_fast_path_failure_turns_into_a_visible_claim_and_retries(
    api: ApiClient, settings: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    switch = tmp_path / "switch"
    switch.write_text("raise")
    monkeypatch.setenv("LUCRO_TEST_ENRICHER_SWITCH", str(switch))
    settings.ENRICHERS = [
        "lucro.enrichment.tests.enrichers.InProcessSwitchableEnricher",
        "lucro.enrichment.enrichers.RuleEnricher",
    ]
    assert services.chain_is_in_process()
    batch_id = ingest(api, 3)
    result = services.chunk_process(batch_id=batch_id)
    assert result.retry_token is not None
    assert set(
        Transaction.objects.filter(batch_id=batch_id).values_list(
            "ingestion_status", "attempts", "claimed_at"
        )
    ) == {("processing", 1, result.retry_token)}
    switch.write_text("ok")
    retried = services.chunk_process(batch_id=batch_id, retry_token=result.retry_token)
    assert retried.written == 3
    assert set(
        Transaction.objects.filter(batch_id=batch_id).values_list("ingestion_status", "attempts")
    ) == {("completed", 2)}


def test_fast_path_writes_each_row_once_with_one_attempt(api: ApiClient) -> None:
    assert services.chain_is_in_process()
    batch_id = ingest(api, 5)
    assert services.chunk_process(batch_id=batch_id).written == 5
    assert set(
        Transaction.objects.filter(batch_id=batch_id).values_list("ingestion_status", "attempts")
    ) == {("completed", 1)}
    assert Transaction.objects.filter(batch_id=batch_id, claimed_at__isnull=True).count() == 0


def test_a_task_share_covers_several_chunks_and_fan_out_counts_shares(
    api: ApiClient, settings: Any, monkeypatch: Any
) -> None:
    settings.ENRICH_CHUNK_SIZE = 5
    settings.ENRICH_CHUNKS_PER_TASK = 3
    sent: list[str] = []
    monkeypatch.setattr("lucro.enrichment.tasks.enrich_chunk.delay", sent.append)
    batch_id = ingest(api, 32)
    assert services.batch_fan_out(batch_id=batch_id) == 3  # 32 rows / (5 × 3) per task
    assert len(sent) == 3
    calls: list[int] = []
    real = services.chunk_process
    monkeypatch.setattr(
        services,
        "chunk_process",
        lambda **kw: calls.append(1) or real(**kw),  # type: ignore[func-returns-value]
    )
    assert services.share_process(batch_id=batch_id) == services.ShareResult(15)
    assert len(calls) == 3
    assert services.share_process(batch_id=batch_id).written == 15
    last = services.share_process(batch_id=batch_id)  # 2 rows left: a short claim ends it
    assert (last.written, len(calls)) == (2, 7)
    assert statuses(batch_id) == {"completed": 32}
    assert Batch.objects.get(pk=batch_id).status == "completed"


def test_a_slow_chain_keeps_one_chunk_per_task(api: ApiClient, settings: Any) -> None:
    settings.ENRICH_CHUNKS_PER_TASK = 4
    settings.ENRICH_SIMULATED_LATENCY = (0.0, 0.0)
    assert services.chunks_per_task() == 1
    settings.ENRICH_SIMULATED_LATENCY = None
    assert services.chunks_per_task() == 4


def test_a_failing_chunk_ends_the_share_and_asks_for_the_rest(
    api: ApiClient, settings: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    switch = tmp_path / "switch"
    switch.write_text("raise")
    monkeypatch.setenv("LUCRO_TEST_ENRICHER_SWITCH", str(switch))
    settings.ENRICHERS = ["lucro.enrichment.tests.enrichers.InProcessSwitchableEnricher"]
    settings.ENRICH_CHUNK_SIZE = 4
    settings.ENRICH_CHUNKS_PER_TASK = 3
    batch_id = ingest(api, 12)
    result = services.share_process(batch_id=batch_id)
    assert result.retry_token is not None and result.unfinished
    assert statuses(batch_id) == {"processing": 4, "pending": 8}


def test_a_batch_start_is_remembered_only_once_committed(
    api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    batch_id = ingest(api, 3)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        transitions.batch_start(batch_id=batch_id, now=timezone.now())
        raise RuntimeError("the chunk rolled back")
    assert batch_id not in transitions._started
    assert Batch.objects.get(pk=batch_id).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        received_at = transitions.batch_start(batch_id=batch_id, now=timezone.now())
    batch = Batch.objects.get(pk=batch_id)
    assert (batch.status, received_at) == ("processing", batch.received_at)
    assert transitions._started[batch_id] == batch.received_at


def test_a_transient_database_error_runs_the_chunk_task_again(
    api: ApiClient, monkeypatch: Any
) -> None:
    """Seen in CI on the embedded default: a chunk task met "database is locked" and failed,
    and its batch waited for the sweeper. Now the task runs again after a backoff."""
    batch_id = ingest(api, 3)
    real, calls = services.share_process, []

    def locked_once(**kwargs: Any) -> services.ShareResult:
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(services, "share_process", locked_once)
    result = tasks.enrich_chunk.apply(args=(str(batch_id),))
    assert result.successful(), result.traceback
    assert (result.get(), len(calls)) == (3, 2)
    assert statuses(batch_id) == {"completed": 3}


def test_any_other_database_error_fails_the_chunk_task_at_once(
    api: ApiClient, monkeypatch: Any
) -> None:
    batch_id = ingest(api, 3)
    calls: list[dict[str, Any]] = []

    def broken(**kwargs: Any) -> services.ShareResult:
        calls.append(kwargs)
        raise OperationalError("no such table: ingestion_transaction")

    monkeypatch.setattr(services, "share_process", broken)
    result = tasks.enrich_chunk.apply(args=(str(batch_id),))
    assert result.failed() and isinstance(result.result, OperationalError)
    assert len(calls) == 1
    assert statuses(batch_id) == {"pending": 3}  # for the sweeper, as before
