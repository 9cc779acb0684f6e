"""The query strings of the budget and alert APIs, parsed at the edge."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from lucro.core.errors import ValidationFailed
from lucro.core.params import iso_date


def parse_status_date(params: Mapping[str, str], *, today: dt.date) -> dt.date:
    raw = params.get("date")
    if not raw:
        return today
    try:
        return iso_date(raw)
    except ValueError as exc:
        raise ValidationFailed(
            "1 parameter(s) are invalid.", errors=[{"pointer": "/date", "detail": f"date {exc}"}]
        ) from None


@dataclass(frozen=True)
class AlertFilters:
    budget: uuid.UUID | None
    unread: bool | None


def parse_alert_filters(params: Mapping[str, str]) -> AlertFilters:
    errors: list[dict[str, str]] = []
    budget: uuid.UUID | None = None
    unread: bool | None = None
    if params.get("budget"):
        try:
            budget = uuid.UUID(params["budget"])
        except ValueError:
            errors.append({"pointer": "/budget", "detail": "budget must be a budget's id."})
    raw = params.get("unread")
    if raw:
        if raw not in ("true", "false"):
            errors.append({"pointer": "/unread", "detail": "unread must be true or false."})
        else:
            unread = raw == "true"
    if errors:
        raise ValidationFailed(f"{len(errors)} parameter(s) are invalid.", errors=errors)
    return AlertFilters(budget, unread)
