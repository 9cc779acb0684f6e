"""The query string of ``GET /api/v1/exchange-rates/``, parsed at the API edge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from lucro.core.errors import ValidationFailed
from lucro.core.params import iso_date
from lucro.fx.contract import currency_problem


@dataclass(frozen=True)
class RateQuery:
    base: str
    quote: str
    day: dt.date


def parse_rate_query(params: Mapping[str, str], *, today: dt.date) -> RateQuery:
    """Return the pair and day asked for (``date`` defaults to ``today``), or raise a 400."""
    errors: list[dict[str, str]] = []
    codes: dict[str, str] = {}
    for name in ("base", "quote"):
        raw = params.get(name)
        if not raw:
            errors.append({"pointer": f"/{name}", "detail": f"{name} is required, e.g. USD."})
            continue
        problem = currency_problem(raw)
        if problem:
            errors.append({"pointer": f"/{name}", "detail": problem})
        else:
            codes[name] = raw
    day = today
    raw_date = params.get("date")
    if raw_date:
        try:
            day = iso_date(raw_date)
        except ValueError as exc:
            errors.append({"pointer": "/date", "detail": f"date {exc}"})
    if errors:
        raise ValidationFailed(f"{len(errors)} parameter(s) are invalid.", errors=errors)
    return RateQuery(codes["base"], codes["quote"], day)
