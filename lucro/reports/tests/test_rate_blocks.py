"""The rates kept per process (``rateblocks``): reused while the rates are unchanged,
never once they changed, and never when the cache cannot say their version."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest

from lucro.fx.contract import RateIn
from lucro.fx.selectors import rates_daily
from lucro.fx.services import rates_upload
from lucro.fx.tests.helpers import put
from lucro.reports import rateblocks
from lucro.reports.queries import DateRange
from lucro.tenancy.services import organization_get_or_create

pytestmark = pytest.mark.django_db

SPAN = DateRange(dt.date(2025, 3, 10), dt.date(2026, 2, 9))  # two calendar years


@pytest.fixture
def organization() -> Any:
    organization = organization_get_or_create(name="Org blocks")
    for day in (dt.date(2025, 3, 8), dt.date(2025, 6, 2), dt.date(2026, 1, 5)):
        put(day, "USD", "KES", "129.5", organization)
        put(day, "EUR", "USD", "1.08")
    return organization


def _block(organization: Any) -> rateblocks.RateBlock:
    return rateblocks.rate_block(
        organization=organization, currencies=["KES", "EUR", "USD", ""], target="USD", span=SPAN
    )


def test_a_block_holds_the_years_rates_and_is_reused(organization: Any) -> None:
    block = _block(organization)
    assert (block.start, block.days) == (dt.date(2025, 1, 1), 730)
    assert set(block.rates) == {"", "EUR", "KES", "USD"} and block.rates[""] == {}
    direct = rates_daily(
        organization=organization,
        sources=["KES", "EUR", "USD"],
        target="USD",
        start=block.start,
        end=dt.date(2026, 12, 31),
    )
    assert {code: dict(by_day) for code, by_day in block.rates.items() if code} == direct
    assert _block(organization) is block
    # Another range within the same years: the same block, cut differently.
    inner = DateRange(dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    one_year = rateblocks.rate_block(
        organization=organization, currencies=["KES"], target="USD", span=inner
    )
    assert one_year is not block and one_year.days == 365
    cut = one_year.scaled(inner)
    assert cut.start == inner.start and cut.masks.shape[1] == 30 + 62


def test_an_upload_retires_the_block_at_once(organization: Any) -> None:
    block = _block(organization)
    assert block.rates["KES"].get(dt.date(2025, 6, 20)) is None  # stale after 7 days
    rates_upload(
        organization=organization,
        rates=[RateIn(date=dt.date(2025, 6, 20), base="USD", quote="KES", rate=Decimal("130"))],
    )  # inside the test's transaction: its commit never comes, the bump now must do
    again = _block(organization)
    assert again is not block
    assert again.rates["KES"][dt.date(2025, 6, 20)] == 1 / Decimal(130)


def test_nothing_is_kept_when_the_cache_cannot_say_the_version(
    organization: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(organization_id: Any) -> str:
        raise ConnectionError("cache down")

    monkeypatch.setattr(rateblocks, "fx_version", unreachable)
    first = _block(organization)
    assert _block(organization) is not first
    assert _block(organization).rates == first.rates


def test_a_block_expires_and_the_staleness_setting_is_part_of_its_key(
    organization: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    block = _block(organization)
    settings.FX_MAX_STALENESS_DAYS = 30
    longer = _block(organization)
    assert longer is not block
    assert longer.rates["KES"].get(dt.date(2025, 6, 20)) is not None  # 18 days old: in force
    assert _block(organization) is longer
    later = time.monotonic() + rateblocks.TTL_SECONDS + 1
    monkeypatch.setattr(rateblocks, "monotonic", lambda: later)
    assert _block(organization) is not longer
