"""Organization summary in the base currency (SPEC §11, §16): 1 000 000 transactions in 5
currencies, one-year ranges, each day converted at that day's rate.

The fixture: one organization (base USD) with five accounts — USD, EUR, ZAR, KES, NGN —
of 200 000 transactions each over two years, loaded through ``batch_ingest`` and written
back the way a worker does (the rollup triggers do the rest). EUR and ZAR convert through
the ECB reference rates (``load_exchange_rates``: EUR→USD and EUR→ZAR, a cross for ZAR),
KES and NGN through the organization's own daily uploads against USD (the ECB has
neither), with weekends left out so that the staleness rule is exercised.

Measured: ``organization_summary`` over 100 random one-year ranges (the summary is never
cached: it is computed on every call). Its daily rates come from the process's rate blocks
(``lucro.reports.rateblocks``: whole calendar years of rates, kept until a rate changes),
as in a running server; a second row measures the same calls with the blocks dropped
before each one — every cache cold, as on the first summary after a rate upload.
The reference, in the same run: the same totals by a plain per-transaction conversion —
every raw row of the range joined with its day's rate in SQL (``SUM(amount × rate)``), no
rollups.

The fixture is kept and reused by later runs. Run alone with ``python -m bench currencies``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from decimal import Decimal
from typing import Any

from bench.common import BenchRow, p50, p95, timed

ORG_NAME = "bench-currencies"
CURRENCIES = ["USD", "EUR", "ZAR", "KES", "NGN"]
PER_ACCOUNT = 200_000
BATCH = 10_000
FIRST_DAY = dt.date(2024, 1, 1)
DAYS = 731
REPEAT = 100
TARGET_P95 = 0.015
# Rough units per USD, for the uploads of the currencies the ECB lacks.
UPLOADED = {"KES": Decimal("129.5"), "NGN": Decimal("1530")}


def _body(currency: str, first: int, rng: random.Random) -> bytes:
    account_id = f"bench_fx_{currency.lower()}"
    txns = []
    for i in range(first, first + BATCH):
        cents = rng.randint(1, 50_000)
        amount = f"{'' if i % 8 == 0 else '-'}{cents // 100}.{cents % 100:02d}"
        txns.append(
            {
                "transaction_id": f"x{i}",
                "account_id": account_id,
                "amount": amount,
                "iso_currency_code": currency,
                "date": (FIRST_DAY + dt.timedelta(days=i * DAYS // PER_ACCOUNT)).isoformat(),
                "name": f"SHOP {i % 97}",
            }
        )
    return json.dumps(
        {
            "accounts": [
                {
                    "account_id": account_id,
                    "name": f"Bench {currency}",
                    "type": "depository",
                    "iso_currency_code": currency,
                }
            ],
            "transactions": txns,
        }
    ).encode()


def _load(organization: Any) -> str:
    """Ensure the five accounts, their settled rows and the rates are there."""
    from django.core.management import call_command
    from django.db import connection

    from bench.summary import write_back_pending
    from lucro.fx.models import ExchangeRate
    from lucro.ingestion.models import Transaction
    from lucro.ingestion.services import batch_ingest

    done = Transaction.objects.filter(organization=organization).count()
    if (
        done == PER_ACCOUNT * len(CURRENCIES)
        and not Transaction.objects.filter(
            organization=organization, ingestion_status__in=["pending", "processing"]
        ).exists()
    ):
        how = "reused (already loaded)"
    else:
        rng = random.Random(7)
        for currency in CURRENCIES:
            for first in range(0, PER_ACCOUNT, BATCH):
                batch_ingest(
                    organization=organization,
                    body=_body(currency, first, rng),
                    api_key=None,
                    idempotency_key=None,
                )
        write_back_pending(organization=organization)
        how = "loaded now"
    if not ExchangeRate.objects.filter(organization__isnull=True, date__gte=FIRST_DAY).exists():
        call_command("load_exchange_rates", verbosity=0)
    if not ExchangeRate.objects.filter(organization=organization).exists():
        rows = []
        for offset in range(-10, DAYS):
            day = FIRST_DAY + dt.timedelta(days=offset)
            if day.weekday() >= 5:
                continue  # weekends: the latest rate on or before (Friday's) applies
            for code, rate in UPLOADED.items():
                wobble = Decimal(1) + Decimal(offset % 17 - 8) / Decimal(1000)
                rows.append(
                    ExchangeRate(
                        organization=organization,
                        date=day,
                        base="USD",
                        quote=code,
                        rate=(rate * wobble).quantize(Decimal("0.0001")),
                        source="upload",
                    )
                )
        ExchangeRate.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        for table in ("ingestion_transaction", "reports_dailyrollup", "fx_exchangerate"):
            cursor.execute(f"ANALYZE {table}")
    return how


_REFERENCE_SQL = """
WITH r(currency, day, rate) AS (SELECT * FROM unnest(%s::text[], %s::date[], %s::numeric[]))
SELECT SUM(CASE WHEN t.amount < 0 THEN -t.amount * r.rate ELSE 0 END),
       SUM(CASE WHEN t.amount > 0 THEN t.amount * r.rate ELSE 0 END),
       COUNT(r.rate), COUNT(*)
FROM ingestion_transaction t
LEFT JOIN r ON r.currency = t.currency AND r.day = t.date
WHERE t.organization_id = %s AND t.date BETWEEN %s AND %s AND t.deleted_at IS NULL
"""


def _reference(organization: Any, start: dt.date, end: dt.date) -> tuple[Any, ...]:
    """The plain path: every raw transaction of the range converted at its day's rate."""
    from django.db import connection

    from lucro.fx.selectors import rates_daily

    rates = rates_daily(
        organization=organization, sources=CURRENCIES, target="USD", start=start, end=end
    )
    codes, days, values = [], [], []
    for code, by_day in rates.items():
        for day, rate in by_day.items():
            codes.append(code)
            days.append(day)
            values.append(str(rate))
    with connection.cursor() as cursor:
        cursor.execute(_REFERENCE_SQL, [codes, days, values, organization.pk, start, end])
        return tuple(cursor.fetchone())


def _ms(values: list[float]) -> str:
    return f"p50 {p50(values) * 1000:.2f} ms, p95 {p95(values) * 1000:.2f} ms"


def run() -> list[BenchRow]:
    from django.conf import settings

    from lucro.enrichment import tasks
    from lucro.reports.rateblocks import rate_blocks_clear
    from lucro.reports.selectors import DateRange, organization_summary
    from lucro.tenancy.services import organization_get_or_create

    if not settings.IS_POSTGRES:
        raise SystemExit("bench.currencies needs DATABASE_URL to point at PostgreSQL")
    tasks._send_batch = lambda batch_id: None  # the bench writes back itself
    organization = organization_get_or_create(name=ORG_NAME)
    how = _load(organization)
    rng = random.Random(3)
    spans = []
    for _ in range(REPEAT):
        start = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS - 365))
        spans.append(DateRange(start, start + dt.timedelta(days=364)))
    # The two paths agree (rounded once, at the end, to cents).
    body = organization_summary(organization=organization, span=spans[0])
    spend, income, converted, total = _reference(organization, spans[0].start, spans[0].end)
    cents = Decimal("0.01")
    assert body["metrics"]["total_spend"] == str(Decimal(spend).quantize(cents)), spend
    assert body["metrics"]["total_income"] == str(Decimal(income).quantize(cents)), income
    assert body["metrics"]["total_transactions"] == converted, (body, converted)
    times = []
    for span in spans:
        started = time.perf_counter()
        organization_summary(organization=organization, span=span)
        times.append(time.perf_counter() - started)
    cold = []
    for span in spans:
        rate_blocks_clear()
        started = time.perf_counter()
        organization_summary(organization=organization, span=span)
        cold.append(time.perf_counter() - started)
    reference = timed(lambda: _reference(organization, spans[0].start, spans[0].end), 5)
    return [
        BenchRow(
            f"currencies fixture: {PER_ACCOUNT * len(CURRENCIES):,} txns in "
            f"{len(CURRENCIES)} currencies / 2 years, {how}",
            "-",
            "-",
            "-",
            "-",
        ),
        BenchRow(
            "organization summary in USD, 1-year range, 5 currencies, cache cold "
            "(never cached; rate blocks kept)",
            _ms(times),
            "p95 ≤ 15 ms",
            f"per-transaction conversion in SQL: {_ms(reference)} ({total:,} rows)",
            "PASS" if p95(times) <= TARGET_P95 else "FAIL",
        ),
        BenchRow(
            "  … the same, rate blocks dropped before each call (first call after a rate change)",
            _ms(cold),
            "-",
            "-",
            "-",
        ),
    ]
