"""Rows for the exchange-rate tests, written straight to the table (no event, no audit;
the rates' cache version is bumped, as every writer of rates does)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lucro.fx.cache import fx_bump
from lucro.fx.models import ExchangeRate, RateSource
from lucro.tenancy.models import Organization


def put(
    day: dt.date,
    base: str,
    quote: str,
    rate: str | Decimal,
    organization: Organization | None = None,
) -> ExchangeRate:
    """Store 1 ``base`` = ``rate`` ``quote`` on ``day``: shared (ECB) or the organization's."""
    row = ExchangeRate.objects.create(
        organization=organization,
        date=day,
        base=base,
        quote=quote,
        rate=Decimal(rate),
        source=RateSource.UPLOAD if organization is not None else RateSource.ECB,
    )
    fx_bump(organization.pk if organization is not None else None)
    return row
