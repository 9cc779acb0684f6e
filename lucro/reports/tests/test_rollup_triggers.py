"""The triggers keep the rollups equal to an aggregate of the terminal rows."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from lucro.ingestion.models import Transaction
from lucro.reports import rollups
from lucro.reports.models import UNCATEGORISED, DailyRollup, MonthlyRollup
from lucro.reports.tests.conftest import ingest, write_back
from lucro.reports.tests.vectors import day_vectors


def _rollup_totals() -> dict[str, object]:
    return DailyRollup.objects.aggregate(
        n=Sum("spend_count") + Sum("income_count"), spend=Sum("spend_sum"), income=Sum("income_sum")
    )


def _raw_totals() -> dict[str, object]:
    terminal = Transaction.objects.filter(ingestion_status__in=["completed", "failed"])
    totals = terminal.aggregate(
        n=Count("id"),
        spend=-Sum("amount", filter=Q(amount__lt=0)),
        income=Sum("amount", filter=Q(amount__gt=0)),
    )
    return {k: v if v is not None else Decimal(0) for k, v in totals.items()}


def test_pending_inserts_touch_no_rollup(api):
    ingest(api.organization, [{"transaction_id": "a", "amount": "-1.00", "date": "2025-01-02"}])
    assert not DailyRollup.objects.exists()
    assert not MonthlyRollup.objects.exists()


def test_reingest_through_on_conflict_moves_a_completed_row_out(api, categories):
    """INSERT … ON CONFLICT DO UPDATE fires the UPDATE trigger with its transition tables."""
    ingest(
        api.organization,
        [
            {"transaction_id": "a", "amount": "-10.00", "date": "2025-01-02"},
            {"transaction_id": "b", "amount": "5.00", "date": "2025-01-31"},
        ],
    )
    write_back(Transaction.objects.values_list("pk", flat=True), category=categories["coffee"])
    month = MonthlyRollup.objects.get()
    assert (month.spend_count, month.spend_sum, month.income_count, month.income_sum) == (
        1,
        Decimal("10.0000"),
        1,
        Decimal("5.0000"),
    )
    # Changed amount: back to pending, out of the rollup. Unchanged row: stays.
    ingest(
        api.organization,
        [
            {"transaction_id": "a", "amount": "-12.00", "date": "2025-01-02"},
            {"transaction_id": "b", "amount": "5.00", "date": "2025-01-31"},
        ],
    )
    month.refresh_from_db()
    assert (month.spend_count, month.spend_sum, month.income_count) == (0, Decimal(0), 1)
    assert _rollup_totals() == {"n": 1, "spend": Decimal(0), "income": Decimal("5.0000")}


def test_status_category_and_delete_keep_rollups_exact(api, categories):
    ingest(
        api.organization,
        [
            {
                "transaction_id": f"t{i}",
                "amount": f"-{i + 1}.25",
                "date": f"2025-0{1 + i % 3}-1{i % 10}",
            }
            for i in range(9)
        ],
    )
    pks = list(Transaction.objects.order_by("transaction_id").values_list("pk", flat=True))
    write_back(pks[:6], category=categories["coffee"])
    write_back(pks[3:8], status="failed", category=categories["other"])
    write_back(pks[1:2], status="pending")
    Transaction.objects.filter(pk=pks[4]).delete()
    assert _rollup_totals() == _raw_totals()
    assert MonthlyRollup.objects.aggregate(n=Sum("failed_count"))["n"] == 4
    keys = set(DailyRollup.objects.values_list("category_key", flat=True))
    assert keys <= {categories["coffee"].pk, categories["other"].pk, UNCATEGORISED}


def test_rebuild_reproduces_the_trigger_maintained_rollups(api, categories):
    ingest(
        api.organization,
        [
            {"transaction_id": f"t{i}", "amount": f"{i - 4}.50", "date": f"2025-03-0{1 + i}"}
            for i in range(8)
        ],
    )
    write_back(Transaction.objects.values_list("pk", flat=True)[:5], category=categories["sibling"])
    before = sorted(
        DailyRollup.objects.values_list(
            "date", "category_key", "spend_count", "spend_sum", "income_count", "income_sum"
        )
    )
    vectors = day_vectors()
    rollups.rebuild(connection)
    after = sorted(
        DailyRollup.objects.values_list(
            "date", "category_key", "spend_count", "spend_sum", "income_count", "income_sum"
        )
    )
    assert after == before
    assert len(before) == 5
    assert day_vectors() == vectors
    if connection.vendor == "postgresql":
        assert len(vectors) == 1  # March, the one category written back
