"""Exchange-rate benchmark: ``rates_daily`` for a year of days (the reports' conversion).

The reports join their daily rollups with ``rates_daily``'s answer inside SQL, so it runs
once per converted report: 5 source currencies × 366 days into USD must take ≤ 3 ms on
PostgreSQL. The ECB history is loaded first if the database has none (idempotent). Rows:
the ECB's currencies for an organization with no uploads, and with one currency (KES) an
organization uploaded against USD on business days (its own rows join the read; KES → USD
is an inverse). The reference is the naive way, a ``rate_get`` per source and day,
measured once in the same run.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal

from bench.common import BenchRow, p50, p95, tables_vacuum, timed
from lucro.fx import services
from lucro.fx.selectors import rate_get, rates_daily
from lucro.fx.store import RateIn
from lucro.tenancy.models import Organization

TARGET_MS = 3.0
START = dt.date(2025, 1, 1)
END = dt.date(2026, 1, 1)  # 366 days
ECB_SOURCES = ["GBP", "JPY", "ZAR", "CHF", "SEK"]
WITH_UPLOAD = ["GBP", "JPY", "ZAR", "CHF", "KES"]
REPEAT = 300
WARMUP = 30


def _naive_ms(organization: Organization, sources: list[str]) -> float:
    started = time.perf_counter()
    day = START
    while day <= END:
        for source in sources:
            rate_get(organization=organization, base=source, quote="USD", day=day)
        day += dt.timedelta(days=1)
    return (time.perf_counter() - started) * 1000


def _row(label: str, organization: Organization, sources: list[str]) -> BenchRow:
    def call() -> dict[str, dict[dt.date, Decimal]]:
        return rates_daily(
            organization=organization, sources=sources, target="USD", start=START, end=END
        )

    answer = call()
    days = (END - START).days + 1
    assert all(len(answer[s]) == days for s in sources), {s: len(answer[s]) for s in sources}
    timed(call, WARMUP)
    times = timed(call, REPEAT)
    median = p50(times) * 1000
    return BenchRow(
        f"rates_daily: {label} → USD, {len(sources)} sources × {days} days ({REPEAT} calls)",
        f"p50 {median:.2f} ms / p95 {p95(times) * 1000:.2f} ms",
        # Not a SPEC target: a budget inside the organization summary's 15 ms (§16).
        f"budget ≈ {TARGET_MS:.0f} ms (within the 15 ms summary)",
        f"rate_get per source and day: {_naive_ms(organization, sources):.0f} ms",
        "-",
    )


def run() -> list[BenchRow]:
    if not services.ecb_history_loaded():
        load = services.ecb_history_load()
        print(f"  loaded the ECB history: {load.rows} rates in {load.seconds:.1f} s", flush=True)
    tables_vacuum("fx_exchangerate")
    plain = Organization.objects.create(name=f"bench-fx-{uuid.uuid4().hex[:8]}")
    uploader = Organization.objects.create(name=f"bench-fx-{uuid.uuid4().hex[:8]}")
    try:
        services.rates_upload(
            organization=uploader,
            rates=[
                RateIn(START + dt.timedelta(days=i), "USD", "KES", Decimal(12900 + i) / 100)
                for i in range((END - START).days + 1)
                if (START + dt.timedelta(days=i)).weekday() < 5
            ],
        )
        return [
            _row(f"{', '.join(ECB_SOURCES)} (ECB)", plain, ECB_SOURCES),
            _row("…, KES (uploaded against USD: 261 own rows)", uploader, WITH_UPLOAD),
        ]
    finally:
        plain.delete()
        uploader.delete()
