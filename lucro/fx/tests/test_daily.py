"""``rates_daily`` answers what a per-day ``rate_get`` loop answers, on random rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lucro.fx.selectors import ONE, rate_get, rates_daily
from lucro.fx.tests.helpers import put
from lucro.tenancy.services import organization_get_or_create

pytestmark = pytest.mark.django_db

START = dt.date(2025, 3, 1)
SPAN = 24  # days of rows; the range asked for lies inside, the window reaches before it
CODES = ["EUR", "USD", "GBP", "KES", "NGN", "ZAR"]
SHARED_QUOTES = ["USD", "GBP", "ZAR"]  # the ECB's are EUR-based
RATES = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("5000"), places=4).filter(
    lambda value: value > 0
)
OFFSETS = st.integers(min_value=0, max_value=SPAN - 1)
SHARED = st.lists(st.tuples(OFFSETS, st.sampled_from(SHARED_QUOTES), RATES), max_size=25)
PAIRS = st.tuples(st.sampled_from(CODES), st.sampled_from(CODES)).filter(lambda p: p[0] != p[1])
OWN = st.lists(st.tuples(OFFSETS, PAIRS, RATES), max_size=12)


def _per_day(organization, sources, target, start, end):
    out = {}
    for source in sources:
        out[source] = {}
        day = start
        while day <= end:
            rate = rate_get(organization=organization, base=source, quote=target, day=day)
            if rate is not None:
                out[source][day] = rate.rate
            day += dt.timedelta(days=1)
    return out


def test_rates_daily_equals_a_per_day_rate_get_loop() -> None:
    org = organization_get_or_create(name="Org Daily")
    other = organization_get_or_create(name="Org Daily Other")

    @given(
        shared=SHARED,
        own=OWN,
        theirs=OWN,
        staleness=st.integers(min_value=0, max_value=5),
        target=st.sampled_from(CODES),
        sources=st.lists(st.sampled_from(CODES), min_size=1, max_size=4),
        first=st.integers(min_value=0, max_value=SPAN - 1),
        length=st.integers(min_value=0, max_value=SPAN),
    )
    @hypothesis_settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    def check(shared, own, theirs, staleness, target, sources, first, length) -> None:
        with transaction.atomic(), override_settings(FX_MAX_STALENESS_DAYS=staleness):
            seen = set()
            for offset, quote, rate in shared:
                if (offset, quote) not in seen:
                    seen.add((offset, quote))
                    put(START + dt.timedelta(offset), "EUR", quote, rate)
            for organization, rows in ((org, own), (other, theirs)):
                seen = set()
                for offset, (base, quote), rate in rows:
                    if (offset, base, quote) not in seen:
                        seen.add((offset, base, quote))
                        put(START + dt.timedelta(offset), base, quote, rate, organization)
            start = START + dt.timedelta(first)
            end = start + dt.timedelta(length - 1)  # length 0: an empty range
            daily = rates_daily(
                organization=org, sources=sources, target=target, start=start, end=end
            )
            assert daily == _per_day(org, dict.fromkeys(sources), target, start, end)
            transaction.set_rollback(True)

    check()


def test_rates_daily_on_a_small_known_case() -> None:
    org = organization_get_or_create(name="Org Daily")
    fri, mon = dt.date(2025, 10, 31), dt.date(2025, 11, 3)
    put(fri, "EUR", "USD", "1.1554")
    put(mon, "EUR", "USD", "1.1530")
    put(fri, "EUR", "ZAR", "20.00")
    put(fri, "USD", "KES", "129.25", org)
    daily = rates_daily(
        organization=org,
        sources=["ZAR", "USD", "KES", "JPY"],
        target="USD",
        start=fri,
        end=mon,
    )
    assert daily["USD"] == dict.fromkeys([fri + dt.timedelta(i) for i in range(4)], ONE)
    assert daily["JPY"] == {}
    assert daily["ZAR"][dt.date(2025, 11, 2)] == Decimal("1.1554") / Decimal("20.00")
    assert daily["ZAR"][mon] == Decimal("1.1530") / Decimal("20.00")
    assert daily["KES"][mon] == Decimal(1) / Decimal("129.25")
    # Nothing for a range that ends before it starts.
    assert rates_daily(organization=org, sources=["ZAR"], target="USD", start=mon, end=fri) == {
        "ZAR": {}
    }
