"""The receiver's cheap filter (``accounts_budgeted``) finds exactly the accounts that
``budgets_touched`` — what an evaluation reads — has a budget for."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from lucro.budgets.models import Budget
from lucro.budgets.selectors import accounts_budgeted, budgets_touched, covers
from lucro.ingestion.models import Account
from lucro.tenancy.services import organization_get_or_create

TODAY = dt.date(2025, 10, 15)


@pytest.mark.django_db
def test_the_cheap_filter_agrees_with_the_budgets_an_evaluation_reads() -> None:
    org = organization_get_or_create(name="Org receiver filter")
    other = organization_get_or_create(name="Org receiver filter B")
    a, b, c = (
        Account.objects.create(organization=org, account_id=f"acc_{n}", name=n, type="depository")
        for n in "abc"
    )
    foreign = Account.objects.create(
        organization=other, account_id="acc_f", name="f", type="depository"
    )

    def budget(org_: object, period: str, starts_on: dt.date, accounts: list[Account]) -> None:
        made = Budget.objects.create(
            organization=org_, name=f"{period} {starts_on}", amount=Decimal(100),
            currency="USD", period=period, starts_on=starts_on,
        )  # fmt: skip
        made.accounts.set(accounts)

    budget(
        org, "weekly", dt.date(2025, 10, 1), [a]
    )  # weeks from 1 October: the current one is 15–21
    budget(org, "monthly", dt.date(2025, 1, 1), [a, b])
    budget(org, "yearly", dt.date(2025, 11, 1), [])  # not started by TODAY
    budget(other, "monthly", dt.date(2025, 1, 1), [])  # another organization's, all accounts
    everyone = [a.pk, b.pk, c.pk, foreign.pk]
    spans = [None, (TODAY, TODAY), (dt.date(2025, 10, 1), dt.date(2025, 10, 3)),
             (dt.date(2025, 9, 1), dt.date(2025, 9, 30))]  # fmt: skip
    for n, dates in itertools.product(range(1, 5), spans):
        for ids in itertools.combinations(everyone, n):
            touched = budgets_touched(
                organization_id=org.pk, account_ids=ids, today=TODAY, dates=dates
            )
            expected = {i for i in ids if any(covers(t, i) for t in touched)}
            found = accounts_budgeted(
                organization_id=org.pk, account_ids=ids, today=TODAY, dates=dates
            )
            assert found == expected, (ids, dates)
    # A budget over every account counts any of the organization's, even one made later.
    budget(org, "monthly", dt.date(2025, 10, 1), [])
    assert accounts_budgeted(organization_id=org.pk, account_ids=[c.pk], today=TODAY) == {c.pk}
