"""The bodies of the report and transaction endpoints: one typed definition each.

Each body is a ``TypedDict``: the selectors build it (mypy checks every key and value), the
view returns it as is (it is plain JSON data, and a plain dict in the cache), and
``serializer_for`` turns the same definition into the serializer drf-spectacular documents,
so the schema cannot drift from what the code returns. Component names are the class
names (``AccountSummary``, ``Transaction``, …).

A field's Python type says what JSON it holds; ``Doc`` adds what the type cannot: a
description, or a string format (date, UUID, URL).
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict, Union, get_args, get_origin

from rest_framework import serializers


@dataclass(frozen=True)
class Doc:
    """What the schema says of a field beyond its Python type."""

    help_text: str | None = None
    # The DRF field documenting a string that has a format (DateField: ``format: date``).
    field: type[serializers.Field] = serializers.CharField


IsoDate = Annotated[str, Doc(field=serializers.DateField)]
IsoDateTime = Annotated[str, Doc(field=serializers.DateTimeField)]
Uuid = Annotated[str, Doc(field=serializers.UUIDField)]
# A decimal string in the currency's minor units (``format_money``).
Money = str

Level = Literal["primary", "detailed"]
Interval = Literal["day", "week", "month"]


# --- Reports -----------------------------------------------------------------------------


class DateRange(TypedDict):
    start: IsoDate
    end: IsoDate


class Metrics(TypedDict):
    total_transactions: int
    total_spend: Annotated[Money, Doc("Decimal string, positive: money out.")]
    total_income: Annotated[Money, Doc("Decimal string.")]
    net: Annotated[Money, Doc("total_income − total_spend, decimal string.")]


class TopCategory(TypedDict):
    category: str
    slug: str
    total_spend: Money
    transaction_count: int


class ProcessingStatus(TypedDict):
    pending: int
    processing: int
    completed: int
    failed: int


class Unconverted(TypedDict):
    transaction_count: int
    total: Annotated[
        Money, Doc("Their net (income − spend), in that currency: no rate to convert it.")
    ]


# Keyed by currency code: the rows of a day without a rate (SPEC §11), never dropped.
UnconvertedMap = Annotated[
    dict[str, Unconverted],
    Doc("Per currency, the rows left unconverted for want of a rate; {} when none."),
]


class AccountSummary(TypedDict):
    account_id: str
    currency: str | None
    date_range: DateRange
    metrics: Metrics
    top_categories: list[TopCategory]
    processing_status: ProcessingStatus
    unconverted: UnconvertedMap


class CategoryBreakdownItem(TypedDict):
    category: Annotated[str | None, Doc("null: uncategorised.")]
    slug: str | None
    total_spend: Money
    total_income: Money
    transaction_count: int
    share_of_spend: Annotated[str, Doc("Fraction of total spend, 4 places.")]


class CategoryBreakdown(TypedDict):
    account_id: str
    currency: str | None
    date_range: DateRange
    level: Level
    metrics: Metrics
    categories: list[CategoryBreakdownItem]
    unconverted: UnconvertedMap


class Period(TypedDict):
    start: IsoDate
    end: IsoDate
    spend: Money
    income: Money
    net: Money
    transaction_count: int


class Timeseries(TypedDict):
    account_id: str
    currency: str | None
    date_range: DateRange
    interval: Interval
    series: list[Period]
    unconverted: UnconvertedMap


class CurrencySummary(TypedDict):
    currency: str | None
    accounts: int
    metrics: Metrics
    top_categories: list[TopCategory]
    processing_status: ProcessingStatus


class OrganizationSummary(TypedDict):
    currency: Annotated[str, Doc("The currency of the totals: ?currency=, else the base one.")]
    date_range: DateRange
    metrics: Metrics
    top_categories: list[TopCategory]
    processing_status: ProcessingStatus
    currencies: Annotated[
        list[CurrencySummary], Doc("The per-currency breakdown, each in its own currency.")
    ]
    unconverted: UnconvertedMap


# --- Accounts ----------------------------------------------------------------------------


class Account(TypedDict):
    id: Uuid
    account_id: Annotated[str, Doc("The integration's id of the account (unique per org).")]
    name: str
    type: str
    subtype: str | None
    mask: Annotated[str | None, Doc("The last characters of the account number, at most.")]
    currency: Annotated[str | None, Doc("ISO 4217; null until the account's first transaction.")]
    created_at: IsoDateTime
    updated_at: IsoDateTime
    deleted_at: Annotated[
        str | None,
        Doc(
            "When it was deleted (with its transactions); null when live. Restorable for "
            "SOFT_DELETE_RETENTION_DAYS.",
            field=serializers.DateTimeField,
        ),
    ]


class AccountPage(TypedDict):
    results: list[Account]
    next: Annotated[str | None, Doc(field=serializers.URLField)]


# --- Transactions ------------------------------------------------------------------------


class PrimaryCategory(TypedDict):
    slug: str
    name: str


class TransactionCategory(TypedDict):
    slug: str
    name: str
    primary: PrimaryCategory


class Transaction(TypedDict):
    id: Uuid
    transaction_id: str
    account_id: str
    batch_id: Uuid
    amount: Money
    currency: str
    date: IsoDate
    authorized_date: IsoDate | None
    description: str | None
    merchant_name: str | None
    payment_channel: str | None
    pending: bool
    ingestion_status: str
    category: TransactionCategory | None
    category_source: str
    category_confidence: float | None
    failure_reason: str | None
    deleted_at: Annotated[
        str | None,
        Doc(
            "When a person deleted it; null when live (only ?deleted=true lists deleted ones).",
            field=serializers.DateTimeField,
        ),
    ]
    amount_in_base_currency: Annotated[
        Money | None,
        Doc("The amount at its day's rate in the organization's base currency; null: no rate."),
    ]
    base_currency: str
    exchange_rate: Annotated[
        str | None,
        Doc("Units of the base currency per unit of the transaction's; null: no rate that day."),
    ]


class TransactionPage(TypedDict):
    results: list[Transaction]
    next: Annotated[str | None, Doc(field=serializers.URLField)]


# --- The schema, from the same definitions -----------------------------------------------

_SCALARS: dict[type, type[serializers.Field]] = {
    str: serializers.CharField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    bool: serializers.BooleanField,
}


@functools.cache
def serializer_for(body: type) -> type[serializers.Serializer]:
    """Return the serializer documenting the TypedDict ``body`` (one class per body).

    Cached: drf-spectacular names a component after its class, and two classes of one
    name would be two conflicting components.
    """
    hints = typing.get_type_hints(body, include_extras=True)
    fields = {name: _field(hint) for name, hint in hints.items()}
    return type(f"{body.__name__}Serializer", (serializers.Serializer,), fields)


def _field(hint: Any) -> serializers.Field:
    """Return the DRF field documenting one annotated TypedDict value."""
    doc = Doc()
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        doc = next((e for e in extras if isinstance(e, Doc)), doc)
    kwargs: dict[str, Any] = {}
    if doc.help_text is not None:
        kwargs["help_text"] = doc.help_text
    if get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint):
        # ``X | None``: the key is always there, its value may be null.
        (hint,) = (a for a in get_args(hint) if a is not type(None))
        kwargs["allow_null"] = True
    if get_origin(hint) is Annotated:
        # An alias (IsoDate) made optional: ``IsoDate | None``.
        hint, *extras = get_args(hint)
        doc = next((e for e in extras if isinstance(e, Doc)), doc)
    if typing.is_typeddict(hint):
        return serializer_for(hint)(**kwargs)
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        if typing.is_typeddict(item):
            return serializer_for(item)(many=True, **kwargs)
        return serializers.ListField(child=_field(item), **kwargs)
    if get_origin(hint) is dict:
        _, value = get_args(hint)
        child = serializer_for(value)() if typing.is_typeddict(value) else _field(value)
        return serializers.DictField(child=child, **kwargs)
    if get_origin(hint) is Literal:
        return serializers.ChoiceField(choices=list(get_args(hint)), **kwargs)
    if hint is str:
        return doc.field(**kwargs)
    return _SCALARS[hint](**kwargs)
