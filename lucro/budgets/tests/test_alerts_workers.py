"""Alerts made by real workers (SPEC §12, PostgreSQL): four `celery worker` processes
finishing chunks of one batch, evaluations in the housekeeping queue's own workers;
each threshold's alert exists exactly once, within seconds of the batch finishing, with
its webhook event."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from lucro.budgets import services
from lucro.budgets.models import Alert
from lucro.enrichment.services import rule_create
from lucro.enrichment.tests.test_workers import Workers, ingest, settled, wait_for
from lucro.ingestion.models import Batch
from lucro.taxonomy.models import Category
from lucro.tenancy.services import organization_get_or_create
from lucro.webhooks.models import WebhookMessage
from lucro.webhooks.services import endpoint_create

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.timeout(240),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="four workers' row locks: PostgreSQL"),
]


def test_four_workers_one_batch_each_threshold_alerted_once(
    workers: Workers, evaluations: list[Any]
) -> None:
    org = organization_get_or_create(name="Org alert workers")
    coffee = Category.objects.get(slug="food-and-drink-coffee")
    # Only the rule categorises (the model is off): every row lands in coffee when a
    # worker writes its chunk back, none before.
    rule_create(organization=org, category=coffee, pattern="zzbudget")
    endpoint_create(
        organization=org, url="https://hooks.example.com/x", events=["budget.threshold_crossed"]
    )
    today = timezone.now().date()
    budget = services.budget_create(
        organization=org,
        name="Coffee",
        amount=Decimal("1000"),
        category=coffee,
        thresholds=[Decimal("0.25"), Decimal("0.5"), Decimal("0.8"), Decimal("1.0")],
        starts_on=today.replace(day=1),
    )
    batch_id = ingest(
        org, 4_000, name="ZZBUDGET COFFEE", merchant_name=None, date=today.isoformat()
    )
    assert not Alert.objects.exists()  # pending rows have no category yet
    evaluated_inline = len(evaluations)
    env = {"MODEL_MIN_CONFIDENCE": "1.01", "BUDGET_EVALUATION_DELAY_SECONDS": "0.2"}
    workers.start(4, ENRICH_CHUNK_SIZE="250", **env)
    try:
        workers.start(2, queue=f"{workers.queue}.housekeeping", **env)
        wait_for(lambda: settled(batch_id), 180, "the batch", workers)
        finished = time.monotonic()
        assert Batch.objects.get(pk=batch_id).status == "completed"
        wait_for(lambda: Alert.objects.filter(budget=budget).count() == 4, 5, "the alerts")
        elapsed = time.monotonic() - finished
        time.sleep(1.5)  # any late evaluation has had its chance to duplicate
    finally:
        workers.stop_all()
    assert elapsed < 5
    assert len(evaluations) == evaluated_inline  # the workers evaluated, not this process
    alerts = Alert.objects.filter(budget=budget)
    assert sorted(a.threshold for a in alerts) == [
        Decimal("0.25"), Decimal("0.5"), Decimal("0.8"), Decimal("1.0"),
    ]  # fmt: skip
    assert {a.period_start for a in alerts} == {today.replace(day=1)}
    messages = WebhookMessage.objects.filter(
        organization=org, event_type="budget.threshold_crossed"
    )
    assert sorted(m.data["threshold"] for m in messages) == [0.25, 0.5, 0.8, 1.0]
    logs = "".join(workers.log(i) for i in (4, 5))
    assert "lucro.budgets.evaluate" in logs
