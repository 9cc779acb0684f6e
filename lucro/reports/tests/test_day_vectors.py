"""The day vectors' exact arithmetic (``dayvectors``) and their overflow fallback."""

from __future__ import annotations

import datetime as dt
import decimal
import random
import struct
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.db import connection

from lucro.core.currencies import format_money
from lucro.fx.selectors import rates_daily
from lucro.ingestion.models import Transaction
from lucro.reports.dayvectors import DAYS, ScaledRates, VectorRows, vector_totals
from lucro.reports.queries import Totals
from lucro.reports.tests.conftest import ingest, write_back
from lucro.reports.tests.test_conversion import _upload
from lucro.testing import ApiClient

# Products of a 19-digit amount and a 28-digit rate, exactly.
WIDE = decimal.Context(prec=100)


def _month_length(first: dt.date) -> int:
    return ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - first).days


@pytest.mark.parametrize("from_block", [False, True], ids=["built", "cut-from-a-block"])
@pytest.mark.parametrize("seed", range(6))
def test_vector_totals_equal_decimal_arithmetic(seed: int, from_block: bool) -> None:
    """Random months of random amounts (up to the 2⁶² bound) in four currencies, random
    rates of up to 28 digits with gaps (and one currency at exactly 1, as the target's
    own, with small amounts only), a range starting and ending mid-month, two groups per
    currency each over several months, some months by their month's counts: every figure
    equals the same sums done with Decimal at unlimited precision. The rates are built
    for the range, or cut (``ScaledRates.window``) from a block of more days that have
    rates of their own (``rateblocks``), which must count for nothing."""
    rng = random.Random(seed)
    start = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(60))
    days = rng.randrange(20, 367)
    end = start + dt.timedelta(days=days - 1)
    codes = ["KES", "EUR", "NGN", "USD"]
    rates: dict[str, dict[dt.date, Decimal]] = {}
    for code in codes:
        rates[code] = {}
        for i in range(days):
            if rng.random() < 0.1 and code != "EUR":
                continue  # no rate that day: unconverted (EUR: every day has one)
            digits = rng.choice([4, 12, 28])
            rates[code][start + dt.timedelta(days=i)] = (
                Decimal(1)
                if code == "USD"
                else Decimal(f"{rng.randrange(1, 10**digits)}e-{rng.randrange(0, digits)}")
            )
    if from_block:
        before, after = rng.randrange(1, 400), rng.randrange(1, 400)
        wider = {code: dict(by_day) for code, by_day in rates.items()}
        for code in codes:
            for i in [*range(-before, 0), *range(days, days + after)]:
                wider[code][start + dt.timedelta(days=i)] = (
                    Decimal(1) if code == "USD" else Decimal(f"{rng.randrange(1, 10**30)}e-29")
                )
        block = ScaledRates.build(wider, start - dt.timedelta(days=before), before + days + after)
        scaled = block.window(before, days)
        assert scaled.start == start
    else:
        scaled = ScaledRates.build(rates, start, days)
    assert [c.identity for c in scaled.currencies] == [False, False, False, True]
    groups: list[int] = []
    offsets: list[int] = []
    currencies: list[int] = []
    wires: list[bytes] = []
    month_counts: list[tuple[int, int, int]] = []
    by_day: list[int] = []
    day_counts: list[bytes] = []
    expected = [
        {"native": Totals(), "converted": Totals(), "unconverted": Totals()}
        for _ in range(2 * len(codes))
    ]
    month = start.replace(day=1)
    big = 2**62 - 1
    while month <= end:
        length = _month_length(month)
        for group in range(2 * len(codes)):
            code = codes[group // 2]
            amounts = [
                (
                    rng.choice([0, rng.randrange(10**6), rng.randrange(big)])
                    if code != "USD"
                    else rng.randrange(10**6)
                )
                if d % DAYS < length
                else 0
                for d in range(2 * DAYS)
            ]
            counts = [rng.randrange(100) if d % DAYS < length else 0 for d in range(3 * DAYS)]
            figures = expected[group]
            cut = False
            for d in range(length):
                day = month + dt.timedelta(days=d)
                if not start <= day <= end:
                    cut = True
                    continue
                spend = Decimal(amounts[d]).scaleb(-4)
                income = Decimal(amounts[DAYS + d]).scaleb(-4)
                part = Totals(counts[d], spend, counts[DAYS + d], income, counts[2 * DAYS + d])
                figures["native"] = _plus(figures["native"], part)
                rate = rates[code].get(day)
                if rate is None:
                    cut = True
                    figures["unconverted"] = _plus(figures["unconverted"], part)
                else:
                    part.spend_sum = WIDE.multiply(spend, rate)
                    part.income_sum = WIDE.multiply(income, rate)
                    figures["converted"] = _plus(figures["converted"], part)
            if cut or rng.random() < 0.3:  # day counts: needed, or sent anyway
                by_day.append(len(groups))
                day_counts.append(struct.pack(f">{3 * DAYS}i", *counts))
            groups.append(group)
            offsets.append((month - start).days)
            currencies.append(scaled.index[code])
            wires.append(struct.pack(f">{2 * DAYS}q", *amounts))
            month_counts.append(
                (sum(counts[:DAYS]), sum(counts[DAYS : 2 * DAYS]), sum(counts[2 * DAYS :]))
            )
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    # The draw exercises every part: income and spend, converted and not, whole months.
    assert any(f["converted"].income_sum for f in expected)
    assert any(f["unconverted"].spend_sum for f in expected)
    assert len(by_day) < len(groups)
    n = len(groups)
    rows = VectorRows(
        groups=np.asarray(groups, dtype=np.intp),
        offsets=np.asarray(offsets, dtype=np.intp),
        currencies=np.asarray(currencies, dtype=np.intp),
        amounts=np.frombuffer(b"".join(wires), dtype=">i8").astype(np.int64).reshape(n, 2, DAYS),
        month_counts=np.asarray(month_counts, dtype=np.int64),
        by_day=np.asarray(by_day, dtype=np.intp),
        day_counts=np.frombuffer(b"".join(day_counts), dtype=">i4")
        .astype(np.int64)
        .reshape(len(by_day), 3, DAYS),
    )
    got = vector_totals(rows, scaled)
    assert len(got) == len(expected)
    for figures, want in zip(got, expected, strict=True):
        assert figures.native == want["native"]
        assert figures.unconverted == want["unconverted"]
        assert figures.converted == want["converted"]


def _plus(a: Totals, b: Totals) -> Totals:
    total = Totals(**vars(a))
    total.add(b)
    return total


@pytest.fixture
def owner(db: None) -> ApiClient:
    from lucro.testing import make_member

    return make_member("Org vectors", "owner")[0]


@pytest.mark.skipif(
    not django_settings.IS_POSTGRES,
    reason="only PostgreSQL has day vectors; SQLite sums this in binary floating point",
)
def test_a_month_too_large_for_its_vector_is_read_from_the_daily_rollup(
    owner: ApiClient, commit: Callable[[], Any]
) -> None:
    """One day of one category over 2⁶² ten-thousandths does not fit an int8: that month's
    vector is NULL (PostgreSQL) and the converted reports read its days instead, exactly."""
    org = owner.organization
    _upload(org, "2025-10-01", "USD", "KES", "129.00")
    _upload(org, "2025-11-03", "USD", "KES", "130.00")
    rows = [
        {"transaction_id": "huge", "amount": "-500000000000000.00", "date": "2025-10-02"},
        {"transaction_id": "a", "amount": "-1290.00", "date": "2025-10-03"},
        {"transaction_id": "b", "amount": "2600.00", "date": "2025-11-04"},
        {"transaction_id": "c", "amount": "-77.35", "date": "2025-11-20"},  # stale: unconverted
    ]
    with commit():
        ingest(org, rows, account_id="acc_kes", currency="KES")
        write_back(Transaction.objects.values_list("pk", flat=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT month, days IS NULL FROM reports_monthlydays ORDER BY month")
            assert cursor.fetchall() == [
                (dt.date(2025, 10, 1), True),
                (dt.date(2025, 11, 1), False),
            ]
    start, end = dt.date(2025, 10, 2), dt.date(2025, 11, 25)
    rates = rates_daily(organization=org, sources=["KES"], target="USD", start=start, end=end)[
        "KES"
    ]
    spend = income = Decimal(0)
    for row in rows:
        day, amount = dt.date.fromisoformat(row["date"]), Decimal(row["amount"])
        if day in rates:
            if amount < 0:
                spend = WIDE.add(spend, WIDE.multiply(-amount, rates[day]))
            else:
                income = WIDE.add(income, WIDE.multiply(amount, rates[day]))
    body = owner.get(
        "/api/v1/reports/summary/", start_date=start.isoformat(), end_date=end.isoformat()
    ).json()
    assert body["metrics"] == {
        "total_transactions": 3,
        "total_spend": format_money(spend, "USD"),
        "total_income": format_money(income, "USD"),
        "net": format_money(income - spend, "USD"),
    }
    assert body["unconverted"] == {"KES": {"transaction_count": 1, "total": "-77.35"}}
    assert body["currencies"][0]["metrics"]["total_spend"] == "500000000001367.35"
