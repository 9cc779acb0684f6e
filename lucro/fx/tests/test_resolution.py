"""Which rate converts X into Y on day D (SPEC §11; lucro.fx.selectors.rate_get)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from lucro.fx.selectors import CONTEXT, rate_get, rates_daily
from lucro.fx.tests.helpers import put
from lucro.tenancy.services import organization_get_or_create

pytestmark = pytest.mark.django_db

FRI = dt.date(2025, 10, 31)  # a Friday
D = dt.date(2025, 10, 30)


@pytest.fixture
def org():
    return organization_get_or_create(name="Org FX")


def test_the_same_currency_is_one(org) -> None:
    rate = rate_get(organization=org, base="KES", quote="KES", day=D)
    assert rate is not None
    assert (rate.rate, rate.rate_date, rate.source) == (Decimal(1), D, "identity")


def test_the_latest_rate_on_or_before_the_day(org) -> None:
    put(D - dt.timedelta(days=3), "EUR", "USD", "1.10")
    put(D - dt.timedelta(days=1), "EUR", "USD", "1.15")
    put(D + dt.timedelta(days=1), "EUR", "USD", "1.20")  # after the day: never used
    rate = rate_get(organization=org, base="EUR", quote="USD", day=D)
    assert rate is not None
    assert rate.rate == Decimal("1.15")
    assert (rate.date, rate.rate_date, rate.source) == (D, D - dt.timedelta(days=1), "ecb")


def test_a_rate_is_used_exactly_n_days_and_not_one_more(org, settings) -> None:
    settings.FX_MAX_STALENESS_DAYS = 3
    put(D, "EUR", "USD", "1.155")
    assert rate_get(organization=org, base="EUR", quote="USD", day=D + dt.timedelta(days=3))
    assert rate_get(organization=org, base="EUR", quote="USD", day=D + dt.timedelta(days=4)) is None
    # The inverse and a cross go stale the same way.
    assert rate_get(organization=org, base="USD", quote="EUR", day=D + dt.timedelta(days=4)) is None
    settings.FX_MAX_STALENESS_DAYS = 0
    assert rate_get(organization=org, base="EUR", quote="USD", day=D) is not None
    assert rate_get(organization=org, base="EUR", quote="USD", day=D + dt.timedelta(days=1)) is None


def test_friday_rates_serve_the_weekend(org) -> None:
    put(FRI, "EUR", "USD", "1.1554")
    for offset in (1, 2, 3):  # Saturday, Sunday, and Monday before Monday's rates exist
        rate = rate_get(organization=org, base="EUR", quote="USD", day=FRI + dt.timedelta(offset))
        assert rate is not None
        assert (rate.rate, rate.rate_date) == (Decimal("1.1554"), FRI)


def test_an_upload_beats_the_shared_rate_of_its_date_but_not_a_newer_one(org) -> None:
    put(D, "EUR", "USD", "1.1550")
    put(D, "EUR", "USD", "1.2000", organization=org)
    rate = rate_get(organization=org, base="EUR", quote="USD", day=D)
    assert rate is not None
    assert (rate.rate, rate.source) == (Decimal("1.2000"), "upload")
    put(D + dt.timedelta(days=1), "EUR", "USD", "1.1560")  # the shared rate is newer
    rate = rate_get(organization=org, base="EUR", quote="USD", day=D + dt.timedelta(days=2))
    assert rate is not None
    assert (rate.rate, rate.source, rate.rate_date) == (
        Decimal("1.1560"),
        "ecb",
        D + dt.timedelta(days=1),
    )
    # Another organization sees only the shared rate.
    other = organization_get_or_create(name="Org FX Other")
    rate = rate_get(organization=other, base="EUR", quote="USD", day=D)
    assert rate is not None
    assert rate.rate == Decimal("1.1550")


def test_shared_rates_are_eur_based() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        put(D, "USD", "KES", "129.25")
    with pytest.raises(IntegrityError), transaction.atomic():
        put(D, "EUR", "EUR", "1")
    with pytest.raises(IntegrityError), transaction.atomic():
        put(D, "EUR", "USD", "0")


def test_the_inverse_of_a_published_rate(org) -> None:
    put(D, "EUR", "USD", "1.1550")
    rate = rate_get(organization=org, base="USD", quote="EUR", day=D)
    assert rate is not None
    assert rate.rate == CONTEXT.divide(Decimal(1), Decimal("1.1550"))
    assert str(rate.rate) == "0.8658008658008658008658008658"  # 28 significant digits
    assert (rate.rate_date, rate.source) == (D, "ecb")


def test_a_pair_quoted_both_ways_takes_the_latest_row_of_either(org) -> None:
    # "The latest rate on or before D" (SPEC §11): USD → KES and KES → USD are one pair.
    put(D - dt.timedelta(days=2), "USD", "KES", "129.00", organization=org)
    put(D, "KES", "USD", "0.0080", organization=org)
    rate = rate_get(organization=org, base="USD", quote="KES", day=D)
    assert rate is not None
    assert (rate.rate, rate.rate_date) == (Decimal(125), D)
    earlier = rate_get(organization=org, base="USD", quote="KES", day=D - dt.timedelta(days=1))
    assert earlier is not None
    assert (earlier.rate, earlier.rate_date) == (Decimal("129.00"), D - dt.timedelta(days=2))
    daily = rates_daily(
        organization=org, sources=["USD"], target="KES", start=D - dt.timedelta(days=1), end=D
    )["USD"]
    assert daily == {D - dt.timedelta(days=1): Decimal("129.00"), D: Decimal(125)}


def test_a_cross_through_eur_takes_the_older_legs_date(org) -> None:
    put(D - dt.timedelta(days=1), "EUR", "USD", "1.1550")
    put(D, "EUR", "ZAR", "20.0421")
    rate = rate_get(organization=org, base="USD", quote="ZAR", day=D)
    assert rate is not None
    assert rate.rate == CONTEXT.divide(Decimal("20.0421"), Decimal("1.1550"))
    assert (rate.rate_date, rate.source) == (D - dt.timedelta(days=1), "derived")


def test_a_cross_through_usd_and_two_currencies_in_between(org) -> None:
    put(D, "EUR", "USD", "1.1550")
    put(D, "EUR", "ZAR", "20.0421")
    put(D, "USD", "KES", "129.25", organization=org)
    # KES → USD → EUR: through USD (KES has no EUR rate).
    to_eur = rate_get(organization=org, base="KES", quote="EUR", day=D)
    assert to_eur is not None
    assert to_eur.rate == CONTEXT.divide(
        CONTEXT.divide(Decimal(1), Decimal("1.1550")), Decimal("129.25")
    )
    assert to_eur.source == "derived"
    # KES → USD → EUR → ZAR: the uploaded KES and the ECB's ZAR meet through both.
    to_zar = rate_get(organization=org, base="KES", quote="ZAR", day=D)
    assert to_zar is not None
    usd_in_zar = CONTEXT.divide(Decimal("20.0421"), Decimal("1.1550"))
    assert to_zar.rate == CONTEXT.divide(usd_in_zar, Decimal("129.25"))
    assert abs(to_zar.rate - Decimal("20.0421") / Decimal("1.1550") / Decimal("129.25")) < Decimal(
        "1e-20"
    )
    assert (to_zar.rate_date, to_zar.source) == (D, "derived")
    # And back.
    back = rate_get(organization=org, base="ZAR", quote="KES", day=D)
    assert back is not None
    assert abs(back.rate * to_zar.rate - 1) < Decimal("1e-25")


def test_a_cross_prefers_eur_then_usd_then_alphabetical(org) -> None:
    # GBP and JPY both against EUR (shared) and against USD (uploaded): EUR wins.
    put(D, "EUR", "GBP", "0.88")
    put(D, "EUR", "JPY", "178.00")
    put(D, "USD", "GBP", "0.70", organization=org)
    put(D, "USD", "JPY", "100.00", organization=org)
    rate = rate_get(organization=org, base="GBP", quote="JPY", day=D)
    assert rate is not None
    assert rate.rate == CONTEXT.divide(Decimal("178.00"), Decimal("0.88"))
    # KES and NGN meet only through GHS and CHF (uploaded): CHF, alphabetically first.
    put(D, "KES", "GHS", "0.1", organization=org)
    put(D, "NGN", "GHS", "0.01", organization=org)
    put(D, "KES", "CHF", "0.006", organization=org)
    put(D, "NGN", "CHF", "0.0005", organization=org)
    rate = rate_get(organization=org, base="KES", quote="NGN", day=D)
    assert rate is not None
    assert rate.rate == CONTEXT.divide(Decimal("0.006"), Decimal("0.0005"))


def test_another_organizations_uploads_are_never_used(org) -> None:
    other = organization_get_or_create(name="Org FX Other")
    put(D, "USD", "KES", "129.25", organization=other)
    put(D, "EUR", "USD", "1.1550")
    assert rate_get(organization=org, base="USD", quote="KES", day=D) is None
    assert rate_get(organization=org, base="EUR", quote="KES", day=D) is None
    assert rate_get(organization=None, base="USD", quote="KES", day=D) is None
    assert rate_get(organization=other, base="EUR", quote="KES", day=D) is not None


def test_missing_is_none(org) -> None:
    put(D, "EUR", "USD", "1.1550")
    assert rate_get(organization=org, base="USD", quote="KES", day=D) is None
    assert rate_get(organization=org, base="EUR", quote="USD", day=D - dt.timedelta(days=1)) is None
