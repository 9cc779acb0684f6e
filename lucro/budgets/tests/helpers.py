"""Shared bits of the budget tests: ingest rows in several currencies, settle them in a
category as a worker would, and an independent spend computation to compare with."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings

from lucro.fx.cache import fx_bump
from lucro.fx.models import ExchangeRate
from lucro.ingestion.models import Transaction
from lucro.reports.tests.conftest import ingest, write_back
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization

WIDE = decimal.Context(prec=60)


def upload(organization: Organization, day: dt.date, base: str, quote: str, rate: str) -> None:
    ExchangeRate.objects.create(
        organization=organization, date=day, base=base, quote=quote, rate=Decimal(rate),
        source="upload",
    )  # fmt: skip
    fx_bump(organization.pk)  # as every writer of rates does


def settle(
    organization: Organization,
    rows: Iterable[tuple[str, str, str, dt.date, Category | None]],
) -> None:
    """Ingest (transaction_id, account_id, amount, date, category) rows, each account in the
    currency its id ends with (acc_kes: KES), and write each back in its category."""
    by_account: dict[str, list[dict[str, Any]]] = {}
    categories: dict[str, Category | None] = {}
    for txn_id, account_id, amount, day, category in rows:
        by_account.setdefault(account_id, []).append(
            {"transaction_id": txn_id, "amount": amount, "date": day.isoformat()}
        )
        categories[txn_id] = category
    for account_id, txns in by_account.items():
        ingest(organization, txns, account_id=account_id, currency=account_id[-3:].upper())
    for txn_id, category in categories.items():
        pk = Transaction.objects.get(organization=organization, transaction_id=txn_id).pk
        write_back([pk], category=category)


def rate_on(table: dict[str, list[tuple[dt.date, Decimal]]], code: str, day: dt.date) -> Any:
    """1 ``code`` in USD on ``day``: the latest rate on or before, at most the staleness old."""
    if code == "USD":
        return Decimal(1)
    found = [(d, r) for d, r in table.get(code, []) if d <= day]
    if not found:
        return None
    date, rate = max(found)
    return rate if (day - date).days <= settings.FX_MAX_STALENESS_DAYS else None


def naive_spent(
    organization: Organization,
    table: dict[str, list[tuple[dt.date, Decimal]]],
    start: dt.date,
    end: dt.date,
    keep: Any,
) -> tuple[Decimal, dict[str, tuple[int, Decimal]]]:
    """Σ −amount × rate over the raw rows ``keep`` accepts, and the unconverted ones."""
    spent = Decimal(0)
    missing: dict[str, tuple[int, Decimal]] = {}
    for t in Transaction.objects.filter(organization=organization, deleted_at__isnull=True):
        if not (start <= t.date <= end and keep(t)):
            continue
        rate = rate_on(table, t.currency, t.date)
        if rate is None:
            n, total = missing.get(t.currency, (0, Decimal(0)))
            missing[t.currency] = (n + 1, total + t.amount)
        else:
            spent = WIDE.add(spent, WIDE.multiply(-t.amount, rate))
    return max(spent, Decimal(0)), missing
