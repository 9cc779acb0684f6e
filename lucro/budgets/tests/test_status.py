"""Budget status (SPEC §12): spend across currencies equals an independent computation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from lucro.budgets.models import Budget
from lucro.budgets.periods import period_containing
from lucro.budgets.selectors import RowsCache, budget_spend
from lucro.budgets.tests.helpers import naive_spent, settle, upload
from lucro.core.currencies import format_money
from lucro.ingestion.models import Transaction
from lucro.reports.selectors import unconverted_doc
from lucro.taxonomy.models import Category
from lucro.testing import ApiClient, make_member

OCT = dt.date(2025, 10, 1)
D = lambda n: OCT + dt.timedelta(days=n - 1)  # noqa: E731  (1 → 1 October)


@pytest.fixture
def owner(db: None) -> ApiClient:
    return make_member("Org budget status", "owner")[0]


def test_status_equals_independent_conversion(
    owner: ApiClient, categories: dict[str, Category], commit: Callable[[], Any]
) -> None:
    """Three accounts in USD, KES and EUR, rates with gaps (KES has none from the 20th:
    stale after 7 days), refunds, income and rows of other categories and months: spent,
    remaining, percent, projected and unconverted equal a per-transaction computation."""
    org = owner.organization
    coffee, sibling, other = categories["coffee"], categories["sibling"], categories["other"]
    primary = coffee.parent
    assert primary is not None
    income = Category.objects.get(slug="income")
    table: dict[str, list[tuple[dt.date, Decimal]]] = {"KES": [], "EUR": []}
    for day, kes, eur in (
        (D(1), "129.5", "1.16"),
        (D(6), "130.25", "1.1550"),
        (D(12), "131", "1.17"),
    ):
        upload(org, day, "USD", "KES", kes)
        upload(org, day, "EUR", "USD", eur)
        table["KES"].append((day, Decimal(1) / Decimal(kes)))
        table["EUR"].append((day, Decimal(eur)))
    upload(org, D(25), "EUR", "USD", "1.18")
    table["EUR"].append((D(25), Decimal("1.18")))
    with commit():
        settle(
            org,
            [
                ("u1", "acc_usd", "-120.35", D(2), coffee),
                ("u2", "acc_usd", "-40.00", D(15), sibling),
                ("u3", "acc_usd", "15.10", D(16), coffee),  # a refund: less spent
                ("u4", "acc_usd", "-999.00", D(16), other),  # another category
                ("u5", "acc_usd", "-77.00", dt.date(2025, 9, 30), coffee),  # another month
                ("k1", "acc_kes", "-5180.00", D(3), coffee),
                ("k2", "acc_kes", "-2600.50", D(13), sibling),
                ("k3", "acc_kes", "-1300.00", D(22), coffee),  # no KES rate: unconverted
                ("k4", "acc_kes", "90000.00", D(5), income),  # income: not a refund
                ("e1", "acc_eur", "-33.33", D(7), coffee),
                ("e2", "acc_eur", "-12.01", D(26), sibling),
            ],
        )
    response = owner.post(
        "/api/v1/budgets/",
        {"name": "Food", "amount": "600.00", "category": primary.slug, "starts_on": "2025-09-01"},
    )
    assert response.status_code == 201, response.content
    status = owner.get(f"/api/v1/budgets/{response.json()['id']}/status/", date="2025-10-20")
    assert status.status_code == 200, status.content
    body = status.json()

    def in_food(t: Transaction) -> bool:
        return t.category_id in (coffee.pk, sibling.pk)

    spent, missing = naive_spent(org, table, D(1), D(31), in_food)
    rounded = spent.quantize(Decimal("0.01"))
    assert body == {
        "period": {"start": "2025-10-01", "end": "2025-10-31"},
        "amount": "600.00",
        "spent": format_money(spent, "USD"),
        "remaining": format_money(Decimal(600) - rounded, "USD"),
        "percent": float(round(rounded / 600 * 100, 2)),
        "projected": format_money(spent * 31 / 20, "USD"),
        "thresholds_crossed": [t for t in (0.8, 1.0) if rounded >= Decimal(str(t)) * 600],
        "currency": "USD",
        "unconverted": {
            code: {"transaction_count": n, "total": format_money(total, code)}
            for code, (n, total) in missing.items()
        },
    }
    assert body["unconverted"] == {"KES": {"transaction_count": 1, "total": "-1300.00"}}
    assert Decimal(body["spent"]) > 0

    # All spending, on two accounts: income and transfers left out, other categories in.
    response = owner.post(
        "/api/v1/budgets/",
        {"name": "All", "amount": "50.00", "accounts": ["acc_usd", "acc_eur"],
         "starts_on": "2025-10-01"},
    )  # fmt: skip
    body = owner.get(f"/api/v1/budgets/{response.json()['id']}/status/", date="2025-10-31").json()
    spent, missing = naive_spent(
        org, table, D(1), D(31), lambda t: t.account.account_id in ("acc_usd", "acc_eur")
    )
    assert body["spent"] == format_money(spent, "USD")
    assert body["thresholds_crossed"] == [0.8, 1.0]
    assert body["projected"] == body["spent"]  # the period's last day
    assert body["unconverted"] == {}

    # Budgets evaluated together share one read per (period, currency, accounts) and
    # filter it by category: the same spends as each read alone.
    budgets = list(Budget.objects.filter(organization=org))
    food = next(b for b in budgets if b.category is not None)
    twin = Budget.objects.create(
        organization=org, name="All too", amount=1, currency="USD", starts_on=food.starts_on
    )
    budgets.append(twin)  # food, all spending on two accounts, all spending everywhere
    together = RowsCache([(b, period_containing(b.period, b.starts_on, D(20))) for b in budgets])
    for budget in budgets:
        alone = budget_spend(budget, D(20))
        shared = budget_spend(budget, D(20), together)
        assert shared.spent == alone.spent
        assert unconverted_doc(shared.rows) == unconverted_doc(alone.rows)


def test_spent_is_never_negative(owner: ApiClient, categories: dict[str, Category]) -> None:
    org = owner.organization
    settle(org, [("r", "acc_usd", "80.00", D(3), categories["coffee"])])  # only a refund
    budget = owner.post(
        "/api/v1/budgets/",
        {"name": "Coffee", "amount": "10", "category": categories["coffee"].slug,
         "period": "weekly", "starts_on": "2025-10-01"},
    ).json()  # fmt: skip
    body = owner.get(f"/api/v1/budgets/{budget['id']}/status/", date="2025-10-03").json()
    assert body["period"] == {"start": "2025-10-01", "end": "2025-10-07"}
    assert (body["spent"], body["remaining"], body["percent"]) == ("0.00", "10.00", 0.0)
    assert body["thresholds_crossed"] == []
