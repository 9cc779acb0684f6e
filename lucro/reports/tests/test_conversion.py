"""Reports in any currency (SPEC §11): each day converted at that day's rate, exactly.

The fast answers (rollups joined with the day's rates inside SQL) are compared with a naive
computation: every raw transaction converted one by one at the rate an independent lookup
finds for its day, summed at full precision, rounded once at the end.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lucro.core.currencies import format_money
from lucro.fx.cache import fx_bump
from lucro.fx.models import ExchangeRate
from lucro.ingestion.models import Transaction
from lucro.reports.tests.conftest import ingest, write_back
from lucro.taxonomy.models import Category
from lucro.testing import ApiClient, make_member

START = dt.date(2025, 3, 1)
DAYS = 75
CURRENCIES = ["USD", "EUR", "KES", "ZAR"]
_WIDE = decimal.Context(prec=60)


def _rate(table: dict[str, list[tuple[dt.date, Decimal]]], currency: str, day: dt.date) -> Any:
    """The rate of 1 ``currency`` in USD on ``day``: the latest on or before, not too old."""
    if currency == "USD":
        return Decimal(1)
    found = [(d, r) for d, r in table.get(currency, []) if d <= day]
    if not found:
        return None
    date, rate = max(found)
    if (day - date).days > settings.FX_MAX_STALENESS_DAYS:
        return None
    return rate


def _naive(rows: list[Transaction], table: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    spend = income = Decimal(0)
    count = 0
    missing: dict[str, list[Any]] = {}
    for t in rows:
        if not start <= t.date <= end:
            continue
        rate = _rate(table, t.currency, t.date)
        if rate is None:
            entry = missing.setdefault(t.currency, [0, Decimal(0)])
            entry[0] += 1
            entry[1] += t.amount
            continue
        count += 1
        value = _WIDE.multiply(t.amount, rate)
        if value < 0:
            spend = _WIDE.add(spend, -value)
        else:
            income = _WIDE.add(income, value)
    return {
        "metrics": {
            "total_transactions": count,
            "total_spend": format_money(spend, "USD"),
            "total_income": format_money(income, "USD"),
            "net": format_money(_WIDE.subtract(income, spend), "USD"),
        },
        "unconverted": {
            code: {"transaction_count": n, "total": format_money(total, code)}
            for code, (n, total) in sorted(missing.items())
        },
    }


amounts = st.decimals(min_value=Decimal("-900"), max_value=Decimal("900"), places=2).filter(
    lambda d: d != 0
)
rates = st.decimals(min_value=Decimal("0.0005"), max_value=Decimal("400"), places=6).filter(
    lambda d: d > 0
)


@hypothesis_settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    txns=st.lists(
        st.tuples(st.sampled_from(CURRENCIES), amounts, st.integers(0, DAYS), st.booleans()),
        min_size=1,
        max_size=30,
    ),
    # Per currency: the days that have a rate (gaps and weekends are the days left out),
    # each quoted either way round (USD→X or X→USD): the inverse must be derived.
    quotes=st.fixed_dictionaries(
        {
            code: st.lists(
                st.tuples(st.integers(-10, DAYS), rates, st.booleans()),
                max_size=12,
                unique_by=lambda q: q[0],
            )
            for code in CURRENCIES[1:]
        }
    ),
    span=st.tuples(st.integers(0, DAYS), st.integers(0, DAYS)),
)
def test_organization_summary_equals_naive_per_transaction_conversion(
    categories: dict[str, Category], commit: Callable[[], Any], txns: Any, quotes: Any, span: Any
) -> None:
    owner = make_member(f"Org FX {uuid.uuid4().hex[:8]}", "owner")[0]
    organization = owner.organization
    table: dict[str, list[tuple[dt.date, Decimal]]] = {}
    for code, entries in quotes.items():
        for offset, rate, usd_first in entries:
            day = START + dt.timedelta(days=offset)
            base, quote = ("USD", code) if usd_first else (code, "USD")
            ExchangeRate.objects.create(
                organization=organization, date=day, base=base, quote=quote, rate=rate,
                source="upload",
            )  # fmt: skip
            fx_bump(organization.pk)  # as every writer of rates does
            # 1 X in USD: the rate as given, or its inverse (at the default precision).
            table.setdefault(code, []).append((day, Decimal(1) / rate if usd_first else rate))
    with commit():
        for code in CURRENCIES:
            mine = [t for t in txns if t[0] == code]
            if not mine:
                continue
            ingest(
                organization,
                [
                    {
                        "transaction_id": f"t{i}",
                        "amount": str(amount.quantize(Decimal("0.01"))),
                        "date": (START + dt.timedelta(days=offset)).isoformat(),
                    }
                    for i, (_, amount, offset, _) in enumerate(mine)
                ],
                account_id=f"acc_{code}",
                currency=code,
            )
            rows = Transaction.objects.filter(
                organization=organization, account__account_id=f"acc_{code}"
            ).order_by("transaction_id")
            settled = [t.pk for t, spec in zip(rows, mine, strict=False) if spec[3]]
            write_back(settled, category=categories["coffee"])
    first, last = sorted(START + dt.timedelta(days=d) for d in span)
    body = owner.get(
        "/api/v1/reports/summary/", start_date=first.isoformat(), end_date=last.isoformat()
    ).json()
    rows = list(Transaction.objects.filter(organization=organization))
    expected = _naive(rows, table, first, last)
    assert body["currency"] == "USD"
    assert body["metrics"] == expected["metrics"]
    assert body["unconverted"] == expected["unconverted"]
    # The breakdown keeps every row in its own currency.
    native = sum(c["metrics"]["total_transactions"] for c in body["currencies"])
    assert native == sum(1 for t in rows if first <= t.date <= last)


@pytest.fixture
def owner(db: None) -> ApiClient:
    return make_member("Org FX", "owner")[0]


def _upload(organization: Any, day: str, base: str, quote: str, rate: str) -> None:
    ExchangeRate.objects.create(
        organization=organization,
        date=dt.date.fromisoformat(day),
        base=base,
        quote=quote,
        rate=Decimal(rate),
        source="upload",
    )
    fx_bump(organization.pk)  # as every writer of rates does


def test_account_reports_in_another_currency(owner: ApiClient, commit: Callable[[], Any]) -> None:
    org = owner.organization
    _upload(org, "2025-10-01", "USD", "KES", "129.00")
    _upload(org, "2025-10-03", "USD", "KES", "130.00")
    with commit():
        ingest(
            org,
            [
                {"transaction_id": "a", "amount": "-1290.00", "date": "2025-10-01"},
                {"transaction_id": "b", "amount": "-1290.00", "date": "2025-10-02"},  # 129 holds
                {"transaction_id": "c", "amount": "2600.00", "date": "2025-10-03"},
                {"transaction_id": "d", "amount": "-650.00", "date": "2025-10-20"},  # stale
            ],
            account_id="acc_kes",
            currency="KES",
        )
        write_back(Transaction.objects.values_list("pk", flat=True))
    query = {"start_date": "2025-10-01", "end_date": "2025-10-31"}
    summary = owner.get("/api/v1/reports/accounts/acc_kes/summary/", **query, currency="USD")
    body = summary.json()
    assert body["currency"] == "USD"
    assert body["metrics"] == {
        "total_transactions": 3,
        "total_spend": "20.00",
        "total_income": "20.00",
        "net": "0.00",
    }
    assert body["unconverted"] == {"KES": {"transaction_count": 1, "total": "-650.00"}}
    assert body["processing_status"]["completed"] == 4
    native = owner.get("/api/v1/reports/accounts/acc_kes/summary/", **query).json()
    assert native["currency"] == "KES" and native["metrics"]["total_spend"] == "3230.00"
    assert native["unconverted"] == {}
    series = owner.get(
        "/api/v1/reports/accounts/acc_kes/timeseries/", **query, interval="month", currency="USD"
    ).json()
    assert series["series"][0]["spend"] == "20.00" and series["unconverted"]["KES"]
    categories = owner.get(
        "/api/v1/reports/accounts/acc_kes/categories/", **query, currency="USD"
    ).json()
    assert categories["metrics"] == body["metrics"]
    bad = owner.get("/api/v1/reports/accounts/acc_kes/summary/", **query, currency="XXQ")
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/currency"

    # A rate uploaded later changes the next answer (the cache key holds the rates' version).
    with commit():
        response = owner.post(
            "/api/v1/exchange-rates/",
            {"rates": [{"date": "2025-10-19", "base": "USD", "quote": "KES", "rate": "130"}]},
        )
    assert response.status_code == 200, response.content
    again = owner.get("/api/v1/reports/accounts/acc_kes/summary/", **query, currency="USD").json()
    assert again["unconverted"] == {}
    assert again["metrics"]["total_spend"] == "25.00"


def test_transactions_carry_their_amount_in_the_base_currency(
    owner: ApiClient, commit: Callable[[], Any]
) -> None:
    org = owner.organization
    _upload(org, "2025-10-01", "EUR", "USD", "1.25")
    with commit():
        ingest(
            org,
            [
                {"transaction_id": "a", "amount": "-10.00", "date": "2025-10-02"},
                {"transaction_id": "b", "amount": "-10.00", "date": "2025-09-02"},
            ],
            account_id="acc_eur",
            currency="EUR",
        )
    by_id = {t["transaction_id"]: t for t in owner.get("/api/v1/transactions/").json()["results"]}
    assert by_id["a"]["amount_in_base_currency"] == "-12.50"
    assert by_id["a"]["base_currency"] == "USD"
    assert Decimal(by_id["a"]["exchange_rate"]) == Decimal("1.25")
    assert by_id["b"]["amount_in_base_currency"] is None
    assert by_id["b"]["exchange_rate"] is None
    detail = owner.get(f"/api/v1/transactions/{by_id['a']['id']}/").json()
    assert detail["amount_in_base_currency"] == "-12.50"
