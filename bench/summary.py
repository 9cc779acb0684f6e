"""Summary benchmark (SPEC §8): one account with 1 000 000 transactions over two years.

Loads the account through the real fast ingestion path (``batch_ingest``, JSON bytes,
10 000-row batches), completes every row with a category the way a worker writes back
(one bulk UPDATE per batch, so the rollup triggers do the work), then times one-year
summaries at random offsets with the cache cold (version bumped before each call) and warm,
beside the plain ORM aggregate over the raw rows. It also checks that the triggers cost
ingestion nothing measurable: a 10 000-row ``batch_ingest`` and a 10 000-row write-back
with the triggers enabled and disabled, inside a transaction that is rolled back.

The loaded account is kept and reused by later runs (loading takes a few minutes).
Run alone with ``python -m bench.summary``; needs ``DATABASE_URL`` to point at PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from typing import Any

from bench.common import BenchRow, p50, p95, print_table, timed

N_TRANSACTIONS = 1_000_000
BATCH = 10_000  # INGEST_MAX_TRANSACTIONS: the largest batch an integration may send
FIRST_DAY = dt.date(2024, 1, 1)
DAYS = 731
ORG_NAME = "bench-summary"
ACCOUNT_ID = "bench_summary_1m"
REPEAT = 200
MERCHANTS = ["Starbucks", "Uber", "Amazon", "Safaricom", "Shoprite", "KPLC", "Jumia", "Bolt"]
_TRIGGERS = ("reports_rollup_update", "reports_rollup_delete", "reports_rollup_insert")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _body(account_id: str, first: int, count: int, rng: random.Random, prefix: str = "s") -> bytes:
    txns = []
    for i in range(first, first + count):
        cents = rng.randint(1, 50_000)
        # One in eight is money in, like salaries, transfers and refunds.
        amount = (
            f"{cents // 100}.{cents % 100:02d}"
            if i % 8 == 0
            else f"-{cents // 100}.{cents % 100:02d}"
        )
        day = FIRST_DAY + dt.timedelta(days=i * DAYS // N_TRANSACTIONS)
        merchant = MERCHANTS[i % len(MERCHANTS)]
        txns.append(
            {
                "transaction_id": f"{prefix}{i}",
                "account_id": account_id,
                "amount": amount,
                "iso_currency_code": "USD",
                "date": day.isoformat(),
                "name": f"{merchant.upper()} {i % 97}",
                "merchant_name": merchant,
            }
        )
    return json.dumps(
        {
            "accounts": [{"account_id": account_id, "name": "Bench", "type": "depository"}],
            "transactions": txns,
        }
    ).encode()


def _write_back_sql() -> str:
    # A worker's write-back: status, category and provenance in one statement per chunk.
    return """
        UPDATE ingestion_transaction
        SET ingestion_status = 'completed', category_source = 'rule',
            category_id = (%(cats)s::uuid[])[1 + abs(hashtext(transaction_id)) %% %(n)s],
            category_confidence = 1.0, completed_at = now(), attempts = 1
        WHERE batch_id = %(batch)s AND ingestion_status = 'pending'
    """


def write_back_pending(**rows: Any) -> None:
    """Complete the pending rows chosen by ``rows`` (ORM filters) as a worker does: one
    bulk UPDATE per batch, 30 categories spread by transaction id."""
    from django.db import connection, transaction

    from lucro.ingestion.models import Transaction
    from lucro.taxonomy.models import Category

    cats = [
        str(pk)
        for pk in Category.objects.filter(parent__isnull=False)
        .order_by("slug")
        .values_list("pk", flat=True)[:30]
    ]
    pending = Transaction.objects.filter(ingestion_status="pending", **rows)
    for batch_id in list(pending.values_list("batch_id", flat=True).distinct()):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_write_back_sql(), {"cats": cats, "n": len(cats), "batch": batch_id})


def _load(organization: Any) -> tuple[str, float, float]:
    """Ensure the bench account holds its rows, all completed; return what was done."""
    from django.db import connection

    from lucro.ingestion.models import Account, Transaction
    from lucro.ingestion.services import batch_ingest

    account = Account.objects.filter(organization=organization, account_id=ACCOUNT_ID).first()
    existing = Transaction.objects.filter(account=account).count() if account else 0
    ingest_rate = write_rate = 0.0
    if (
        existing == N_TRANSACTIONS
        and not Transaction.objects.filter(
            account=account, ingestion_status__in=["pending", "processing"]
        ).exists()
    ):
        return "reused (already loaded)", ingest_rate, write_rate
    rng = random.Random(42)
    started = time.perf_counter()
    for first in range(0, N_TRANSACTIONS, BATCH):
        batch_ingest(
            organization=organization,
            body=_body(ACCOUNT_ID, first, BATCH, rng),
            api_key=None,
            idempotency_key=None,
        )
    ingest_rate = N_TRANSACTIONS / (time.perf_counter() - started)
    account = Account.objects.get(organization=organization, account_id=ACCOUNT_ID)
    rows = Transaction.objects.filter(account=account, ingestion_status="pending").count()
    started = time.perf_counter()
    write_back_pending(account=account)
    write_rate = rows / (time.perf_counter() - started) if rows else 0.0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ingestion_transaction")
        cursor.execute("ANALYZE reports_dailyrollup")
        cursor.execute("ANALYZE reports_monthlyrollup")
    return "loaded now", ingest_rate, write_rate


def _trigger_cost(organization: Any) -> tuple[list[float], list[float], list[float], list[float]]:
    """Time 10 000-row ingests and write-backs with and without the rollup triggers."""
    from django.db import connection, transaction

    from lucro.ingestion.services import batch_ingest
    from lucro.taxonomy.models import Category

    cats = [
        str(pk)
        for pk in Category.objects.filter(parent__isnull=False).values_list("pk", flat=True)[:30]
    ]
    results: dict[bool, tuple[list[float], list[float]]] = {}
    rng = random.Random(7)

    class _Rollback(Exception):
        pass

    # DDL is transactional: everything here, the disabled triggers included, rolls back.
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
                # Django's foreign keys are deferred to commit, which never comes here:
                # check them per statement so every arm pays for them as in production.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for enabled in (True, False, True, False):
                if not enabled:
                    with connection.cursor() as cursor:
                        for name in _TRIGGERS:
                            cursor.execute(
                                f"ALTER TABLE ingestion_transaction DISABLE TRIGGER {name}"
                            )
                ingest_times, write_times = results.setdefault(enabled, ([], []))
                for rep in range(5):
                    account_id = f"bench_trig_{enabled}_{rep}_{rng.randrange(10**9)}"
                    body = _body(account_id, 0, BATCH, rng, prefix=account_id)
                    started = time.perf_counter()
                    result = batch_ingest(
                        organization=organization, body=body, api_key=None, idempotency_key=None
                    )
                    ingest_times.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    with connection.cursor() as cursor:
                        cursor.execute(
                            _write_back_sql(),
                            {"cats": cats, "n": len(cats), "batch": result.batch_id},
                        )
                    write_times.append(time.perf_counter() - started)
                if not enabled:
                    with connection.cursor() as cursor:
                        for name in _TRIGGERS:
                            cursor.execute(
                                f"ALTER TABLE ingestion_transaction ENABLE TRIGGER {name}"
                            )
            raise _Rollback
    except _Rollback:
        pass
    on, off = results[True], results[False]
    return on[0], off[0], on[1], off[1]


def _orm_summary(account: Any, start: dt.date, end: dt.date) -> object:
    """The reference: the summary from the raw rows with plain ORM aggregates."""
    from django.db.models import Count, Q, Sum

    from lucro.ingestion.models import Transaction

    rows = Transaction.objects.filter(account=account, date__gte=start, date__lte=end)
    totals = rows.aggregate(
        n=Count("id"),
        spend=Sum("amount", filter=Q(amount__lt=0)),
        income=Sum("amount", filter=Q(amount__gt=0)),
    )
    top = list(
        rows.filter(amount__lt=0)
        .values("category__parent__slug")
        .annotate(spend=Sum("amount"), n=Count("id"))
        .order_by("spend")[:3]
    )
    status = list(rows.values("ingestion_status").annotate(n=Count("id")).order_by())
    return totals, top, status


def _ms(values: list[float]) -> str:
    return f"p50 {p50(values) * 1000:.2f} ms, p95 {p95(values) * 1000:.2f} ms"


def run() -> list[BenchRow]:
    _setup()
    from django.conf import settings
    from django.test import Client

    from lucro.enrichment import tasks
    from lucro.ingestion.models import Account
    from lucro.reports.cache import accounts_touched
    from lucro.reports.selectors import DateRange, account_summary
    from lucro.tenancy.services import api_key_create, organization_get_or_create

    if not settings.IS_POSTGRES:
        raise SystemExit("bench.summary needs DATABASE_URL to point at PostgreSQL")
    # The bench plays the worker itself: no enrichment task may race it for the rows.
    tasks._send_batch = lambda batch_id: None
    organization = organization_get_or_create(name=ORG_NAME)
    how, ingest_rate, write_rate = _load(organization)
    account = Account.objects.get(organization=organization, account_id=ACCOUNT_ID)
    rng = random.Random(1)
    spans = []
    for _ in range(REPEAT):
        start = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS - 365))
        spans.append(DateRange(start, start + dt.timedelta(days=364)))

    warm_span = spans[0]
    account_summary(organization=organization, account_id=ACCOUNT_ID, span=warm_span)
    cold_times = []
    for span in spans:
        accounts_touched([account.pk])  # autocommit: the version moves at once, untimed
        started = time.perf_counter()
        account_summary(organization=organization, account_id=ACCOUNT_ID, span=span)
        cold_times.append(time.perf_counter() - started)
    warm_times = timed(
        lambda: account_summary(organization=organization, account_id=ACCOUNT_ID, span=warm_span),
        REPEAT,
    )
    orm_times = timed(lambda: _orm_summary(account, warm_span.start, warm_span.end), 5)

    client = Client()
    headers = {"Authorization": f"Token {api_key_create(organization=organization).raw_key}"}
    url = f"/api/v1/reports/accounts/{ACCOUNT_ID}/summary/"
    params = {"start_date": warm_span.start.isoformat(), "end_date": warm_span.end.isoformat()}

    def http_cold() -> None:
        accounts_touched([account.pk])
        assert client.get(url, params, headers=headers).status_code == 200

    http_cold_times = timed(http_cold, 50)
    http_warm_times = timed(lambda: client.get(url, params, headers=headers), 50)
    ingest_on, ingest_off, write_on, write_off = _trigger_cost(organization)

    def verdict(value: float, target: float) -> str:
        return "PASS" if value <= target else "FAIL"

    rows = [
        BenchRow(
            f"summary fixture: {N_TRANSACTIONS:,} txns / 2 years, {how}",
            (f"ingest {ingest_rate:,.0f} rows/s, write-back+rollup {write_rate:,.0f} rows/s")
            if ingest_rate
            else "-",
            "-",
            "-",
            "-",
        ),
        BenchRow(
            "summary, 1-year range, cache cold",
            _ms(cold_times),
            "p95 ≤ 10 ms",
            f"plain ORM aggregate: {_ms(orm_times)}",
            verdict(p95(cold_times), 0.010),
        ),
        BenchRow(
            "summary, cache warm",
            _ms(warm_times),
            "p95 ≤ 2 ms",
            "-",
            verdict(p95(warm_times), 0.002),
        ),
        BenchRow(
            "summary over HTTP in-process (auth included), cold",
            _ms(http_cold_times),
            "-",
            "-",
            "-",
        ),
        BenchRow(
            "summary over HTTP in-process (auth included), warm",
            _ms(http_warm_times),
            "-",
            "-",
            "-",
        ),
        BenchRow(
            "batch_ingest 10 000 rows, rollup triggers on",
            _ms(ingest_on),
            "-",
            f"triggers off: {_ms(ingest_off)}",
            "-",
        ),
        BenchRow(
            "write-back UPDATE 10 000 rows, rollup triggers on",
            _ms(write_on),
            "-",
            f"triggers off: {_ms(write_off)}",
            "-",
        ),
    ]
    return rows


if __name__ == "__main__":
    print_table(run())
