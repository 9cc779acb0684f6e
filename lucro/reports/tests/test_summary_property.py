"""The fast summary equals a naive aggregate of the raw rows, whatever happened to them."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucro.core.errors import NotFound
from lucro.ingestion.models import Account, Transaction
from lucro.ingestion.transitions import (
    transaction_categorise,
    transaction_delete,
    transaction_restore,
)
from lucro.reports.cache import accounts_touched
from lucro.reports.selectors import DateRange, account_summary, summary_compute
from lucro.reports.tests.conftest import ingest, write_back

WINDOW_START = dt.date(2024, 11, 20)
WINDOW_DAYS = 130  # late November to late March: month edges, a year end, February
CATEGORY_NAMES = [None, "coffee", "sibling", "other", "primary"]

amounts = st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=2).filter(
    lambda d: d != 0
)
days = st.integers(min_value=0, max_value=WINDOW_DAYS)
indices = st.lists(st.integers(min_value=0, max_value=11), min_size=1, max_size=6, unique=True)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("write_back"),
            indices,
            st.sampled_from(["processing", "completed", "completed", "failed", "pending"]),
            st.sampled_from(CATEGORY_NAMES),
        ),
        st.tuples(st.just("reingest"), indices, amounts, days),
        st.tuples(
            st.just("patch"),
            st.integers(min_value=0, max_value=11),
            st.sampled_from(CATEGORY_NAMES),
        ),
        st.tuples(st.just("delete"), st.integers(min_value=0, max_value=11)),
        st.tuples(st.just("soft_delete"), st.integers(min_value=0, max_value=11)),
        st.tuples(st.just("restore"), st.integers(min_value=0, max_value=11)),
    ),
    max_size=8,
)
ranges = st.lists(
    st.tuples(days, st.integers(min_value=0, max_value=WINDOW_DAYS)), min_size=1, max_size=4
)


def _day(offset: int) -> str:
    return (WINDOW_START + dt.timedelta(days=offset)).isoformat()


def _naive(account: Account, span: DateRange, level: str) -> dict[str, Any]:
    """The summary computed the slow, obvious way from every raw row not deleted."""
    spend = income = Decimal(0)
    status = {"pending": 0, "processing": 0, "completed": 0, "failed": 0}
    per_category: dict[tuple[str, str], list[Any]] = {}
    rows = Transaction.objects.filter(
        account=account, date__gte=span.start, date__lte=span.end, deleted_at__isnull=True
    ).select_related("category__parent")
    for t in rows:
        status[t.ingestion_status] += 1
        spend += -t.amount if t.amount < 0 else 0
        income += t.amount if t.amount > 0 else 0
        if t.category is not None:
            c = t.category if level == "detailed" else (t.category.parent or t.category)
            entry = per_category.setdefault((c.name, c.slug), [Decimal(0), 0])
            entry[0] += -t.amount if t.amount < 0 else 0
            entry[1] += 1
    top = sorted(
        ((k, v) for k, v in per_category.items() if v[0]), key=lambda kv: (-kv[1][0], kv[0][0])
    )[:3]
    money = lambda d: str(d.quantize(Decimal("0.01")))  # noqa: E731
    return {
        "account_id": account.account_id,
        "currency": "USD",
        "date_range": {"start": span.start.isoformat(), "end": span.end.isoformat()},
        "metrics": {
            "total_transactions": sum(status.values()),
            "total_spend": money(spend),
            "total_income": money(income),
            "net": money(income - spend),
        },
        "top_categories": [
            {"category": name, "slug": slug, "total_spend": money(v[0]), "transaction_count": v[1]}
            for (name, slug), v in top
        ],
        "processing_status": status,
        "unconverted": {},
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    initial=st.lists(st.tuples(amounts, days), min_size=1, max_size=12),
    ops=operations,
    spans=ranges,
    level=st.sampled_from(["primary", "detailed"]),
)
def test_fast_summary_equals_naive_aggregate(api, categories, commit, initial, ops, spans, level):
    # Examples share the database (the test's transaction), so each gets its own account.
    account_id = f"acc_{uuid.uuid4().hex[:12]}"
    with commit():
        ingest(
            api.organization,
            [
                {"transaction_id": f"t{i}", "amount": str(a), "date": _day(d)}
                for i, (a, d) in enumerate(initial)
            ],
            account_id=account_id,
        )
    account = Account.objects.get(organization=api.organization, account_id=account_id)
    pks = list(
        Transaction.objects.filter(account=account)
        .order_by("transaction_id")
        .values_list("pk", "transaction_id")
    )
    by_index = {int(tid[1:]): pk for pk, tid in pks}

    def cat(name: str | None) -> Any:
        return categories[name] if name else None

    # Read once before the changes, so a stale cache would show below.
    first = DateRange(*sorted(WINDOW_START + dt.timedelta(days=d) for d in spans[0]))
    account_summary(organization=api.organization, account_id=account_id, span=first, level=level)
    for op in ops:
        with commit():
            if op[0] == "write_back":
                chosen = [by_index[i] for i in op[1] if i in by_index]
                write_back(chosen, status=op[2], category=cat(op[3]))
            elif op[0] == "reingest":
                ids = [i for i in op[1] if i in by_index]
                if ids:
                    ingest(
                        api.organization,
                        [
                            {
                                "transaction_id": f"t{i}",
                                "amount": str(op[2] * (1 if i % 2 else -1)),
                                "date": _day(op[3]),
                            }
                            for i in ids
                        ],
                        account_id=account_id,
                    )
            elif op[0] == "patch" and op[1] in by_index:
                category = cat(op[2])
                pk = by_index[op[1]]
                # A deleted row is not found, as through the API (404): nothing changes.
                gone = Transaction.objects.filter(pk=pk, deleted_at__isnull=False).exists()

                def categorise(pk: Any = pk, category: Any = category) -> None:
                    transaction_categorise(
                        organization=api.organization,
                        transaction_pk=str(pk),
                        category_slug=category.slug if category else None,
                    )

                if gone:
                    with pytest.raises(NotFound):
                        categorise()
                else:
                    categorise()
            elif op[0] in ("soft_delete", "restore") and op[1] in by_index:
                # Soft deletes through the owner's transitions; deleting a deleted row or
                # restoring a live one is refused or a no-op, as through the API.
                change = transaction_delete if op[0] == "soft_delete" else transaction_restore
                with contextlib.suppress(NotFound):
                    change(organization=api.organization, transaction_pk=by_index[op[1]])
            elif op[0] == "delete" and op[1] in by_index:
                # Whoever deletes rows must invalidate too (the trigger fixes the rollups).
                Transaction.objects.filter(pk=by_index.pop(op[1])).delete()
                accounts_touched([account.pk])

    for a, b in spans:
        start, end = sorted(
            (WINDOW_START + dt.timedelta(days=a), WINDOW_START + dt.timedelta(days=b))
        )
        span = DateRange(start, end)
        expected = _naive(account, span, level)
        assert summary_compute(account=account, span=span, level=level) == expected
        assert (
            account_summary(
                organization=api.organization, account_id=account_id, span=span, level=level
            )
            == expected
        )
