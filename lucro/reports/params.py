"""The API edge of the reports: query parameters and request bodies, parsed or refused.

Each parser returns typed values for a selector or service, or raises one 400 problem
whose ``errors`` point at every bad parameter (``/start_date``, ``/limit``, …), so a
caller fixes them all in one round. Nothing here reads reports; the only query is the
category filter's lookup of its slug (an unknown slug is an input error).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

from django.conf import settings
from rest_framework import serializers

from lucro.core.currencies import minor_units
from lucro.core.errors import ValidationFailed
from lucro.core.pagination import PageParams
from lucro.core.params import iso_date
from lucro.ingestion.models import CategorySource, IngestionStatus
from lucro.reports.queries import DateRange
from lucro.reports.responses import Interval, Level
from lucro.reports.selectors import ACCOUNT_ORDER, TRANSACTION_ORDER
from lucro.taxonomy.models import Category
from lucro.taxonomy.serializers import CategorySlugField

LEVELS: tuple[Level, ...] = get_args(Level)
INTERVALS: tuple[Interval, ...] = get_args(Interval)

FieldErrors = list[dict[str, str]]


def _raise(errors: FieldErrors) -> None:
    if errors:
        raise ValidationFailed(" ".join(e["detail"] for e in errors), errors=errors)


# --- Report parameters -------------------------------------------------------------------


def _required_date(params: Mapping[str, str], name: str, errors: FieldErrors) -> dt.date | None:
    if not params.get(name):
        errors.append({"pointer": f"/{name}", "detail": f"{name} is required (YYYY-MM-DD)."})
        return None
    # Bounded (iso_date): the period arithmetic of the selectors (a day after the end, the
    # month after, the Monday before) overflows at date.max and date.min.
    return _optional_date(params, name, errors)


def _choice(params: Mapping[str, str], name: str, choices: Sequence[str], default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        _raise([{"pointer": f"/{name}", "detail": f"{name} must be one of {', '.join(choices)}."}])
    return value


def parse_range(params: Mapping[str, str]) -> DateRange:
    """Return the inclusive date range of a report request, or raise a 400 problem."""
    errors: FieldErrors = []
    start = _required_date(params, "start_date", errors)
    end = _required_date(params, "end_date", errors)
    _raise(errors)
    assert start is not None and end is not None
    if start > end:
        _raise([{"pointer": "/start_date", "detail": "start_date is after end_date."}])
    days = (end - start).days + 1
    limit = settings.REPORT_MAX_RANGE_DAYS
    if days > limit:
        detail = f"The range covers {days} days; the maximum is {limit}."
        _raise([{"pointer": "/end_date", "detail": detail}])
    return DateRange(start, end)


def parse_level(params: Mapping[str, str], *, default: Level = "primary") -> Level:
    """Return the category level to group by (``?level=``), or raise a 400 problem."""
    return _choice(params, "level", LEVELS, default)  # type: ignore[return-value]


def parse_currency(params: Mapping[str, str]) -> str | None:
    """Return the currency to report in (``?currency=``, ISO 4217), None: the default."""
    raw = params.get("currency")
    if not raw:
        return None
    if minor_units(raw) is None:
        _raise([{"pointer": "/currency", "detail": "currency must be an ISO 4217 code (USD)."}])
    return raw


def parse_interval(params: Mapping[str, str]) -> Interval:
    """Return the period length of a time series (``?interval=``), or raise a 400 problem."""
    return _choice(params, "interval", INTERVALS, "day")  # type: ignore[return-value]


# --- Transaction list filters ------------------------------------------------------------


@dataclass(frozen=True)
class TransactionFilters:
    """The filters of the transaction list; None is "not filtered"."""

    account_id: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    status: str | None = None
    source: str | None = None
    # Resolved from its slug here: an unknown slug is the caller's error, reported with the
    # other bad parameters.
    category: Category | None = None
    search: str | None = None
    # Only the transactions deleted on their own (restorable), instead of the live ones.
    deleted: bool = False


def _optional_date(params: Mapping[str, str], name: str, errors: FieldErrors) -> dt.date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return iso_date(raw)
    except ValueError as exc:
        errors.append({"pointer": f"/{name}", "detail": f"{name} {exc}"})
        return None


def _amount(params: Mapping[str, str], name: str, errors: FieldErrors) -> Decimal | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        amount = Decimal(raw)
        if not amount.is_finite():
            raise InvalidOperation(raw)
    except InvalidOperation:
        errors.append({"pointer": f"/{name}", "detail": f"{name} must be a decimal."})
        return None
    return amount


def _enum(
    params: Mapping[str, str], name: str, choices: Sequence[str], errors: FieldErrors
) -> str | None:
    raw = params.get(name)
    # Present but empty is not "no filter": "" is not one of the values (the schema's enum
    # says so too), so ?source= is refused like any other unknown value.
    if raw is None:
        return None
    if raw not in choices:
        errors.append(
            {"pointer": f"/{name}", "detail": f"{name} must be one of {', '.join(choices)}."}
        )
        return None
    return raw


def _category(params: Mapping[str, str], errors: FieldErrors) -> Category | None:
    slug = params.get("category")
    if not slug:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        errors.append({"pointer": "/category", "detail": f"No category {slug!r}."})
    return category


def parse_transaction_list(params: Mapping[str, str]) -> tuple[TransactionFilters, PageParams]:
    """Return the filters and the page of a transaction list request, or raise a 400."""
    errors: FieldErrors = []
    filters = TransactionFilters(
        account_id=params.get("account_id") or None,
        start_date=_optional_date(params, "start_date", errors),
        end_date=_optional_date(params, "end_date", errors),
        min_amount=_amount(params, "min_amount", errors),
        max_amount=_amount(params, "max_amount", errors),
        status=_enum(params, "status", IngestionStatus.values, errors),
        source=_enum(params, "source", CategorySource.values, errors),
        category=_category(params, errors),
        search=params.get("search") or None,
        deleted=parse_deleted(params, errors),
    )
    # A bad limit joins the filters' errors in one problem; the cursor is checked last.
    return filters, TRANSACTION_ORDER.page_params(params, errors)


def parse_deleted(params: Mapping[str, str], errors: FieldErrors) -> bool:
    """Return the ``deleted`` switch of a list: ``true`` lists the deleted rows instead."""
    return _enum(params, "deleted", ("true", "false"), errors) == "true"


def parse_account_list(params: Mapping[str, str]) -> tuple[bool, PageParams]:
    """Return the ``deleted`` switch and the page of an account list request, or a 400."""
    errors: FieldErrors = []
    deleted = parse_deleted(params, errors)
    return deleted, ACCOUNT_ORDER.page_params(params, errors)


# --- Request bodies ----------------------------------------------------------------------


def parse_category_patch(body: Any) -> str | None:
    """Return the category slug (or None) of a PATCH body, or raise a 400 problem."""
    if not isinstance(body, dict) or "category" not in body:
        raise ValidationFailed(
            'Send {"category": "<slug>"} or {"category": null}.',
            errors=[{"pointer": "/category", "detail": "Required."}],
        )
    slug = body["category"]
    if slug is not None and (not isinstance(slug, str) or not slug):
        raise ValidationFailed(
            "category must be a category slug or null.",
            errors=[{"pointer": "/category", "detail": "Must be a slug or null."}],
        )
    return slug


class CategoryPatchSerializer(serializers.Serializer):
    """The body of PATCH /transactions/<id>/ (schema only; reports.params parses it)."""

    category = CategorySlugField(
        allow_null=True, help_text="A category slug, or null to clear the category."
    )

    # This PATCH sets the one field it takes, which must be sent: it is not a partial update,
    # but drf-spectacular marks every PATCH body partial (nothing required) by setting this.
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass
