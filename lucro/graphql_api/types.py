"""The GraphQL object types: REST's bodies, field for field, in camelCase.

Resolvers return the very documents the REST views answer (the selectors' TypedDicts, the
output serializers' data), and the schema's default resolver reads a dict by key
(``schema.document_resolver``): no second shaping of any value, so money stays the
decimal string REST renders and ids the strings REST shows. A map keyed by currency in
REST (``unconverted``) is a list of ``{currency, …}`` here: GraphQL has no open maps.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

T = TypeVar("T")


# --- Connections (Relay cursor pages) ----------------------------------------------------


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="The cursor to pass as `after` for the next page; null on the last."
    )


@strawberry.type
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque: pass it as `after` to read on.")
    node: T


@strawberry.type(description="One page of a list, newest or oldest first as REST lists it.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T] = strawberry.field(description="The edges' nodes, without their cursors.")
    page_info: PageInfo


# --- People and organization -------------------------------------------------------------


@strawberry.type
class OrganizationRef:
    id: strawberry.ID
    name: str


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    base_currency: str
    created_at: str


@strawberry.type
class MeUser:
    id: strawberry.ID = strawberry.field(description="The user's id in this organization.")
    email: str
    name: str


@strawberry.type
class MeApiKey:
    id: strawberry.ID
    name: str
    prefix: str
    scopes: list[str]


@strawberry.type(description="The caller: a user (with a role) or an API key (with scopes).")
class Me:
    user: MeUser | None
    api_key: MeApiKey | None
    organization: OrganizationRef
    role: str | None


# --- Reports -----------------------------------------------------------------------------


@strawberry.type
class DateRange:
    start: str
    end: str


@strawberry.type
class Metrics:
    total_transactions: int
    total_spend: str = strawberry.field(description="Decimal string, positive: money out.")
    total_income: str
    net: str


@strawberry.type
class TopCategory:
    category: str
    slug: str
    total_spend: str
    transaction_count: int


@strawberry.type
class ProcessingStatus:
    pending: int
    processing: int
    completed: int
    failed: int


@strawberry.type(description="The rows of one currency left unconverted: no rate that day.")
class Unconverted:
    currency: str
    transaction_count: int
    total: str


@strawberry.type
class AccountSummary:
    account_id: str
    currency: str | None
    date_range: DateRange
    metrics: Metrics
    top_categories: list[TopCategory]
    processing_status: ProcessingStatus
    unconverted: list[Unconverted]


@strawberry.type
class Period:
    start: str
    end: str
    spend: str
    income: str
    net: str
    transaction_count: int


@strawberry.type
class Timeseries:
    account_id: str
    currency: str | None
    date_range: DateRange
    interval: str
    series: list[Period]
    unconverted: list[Unconverted]


# --- Transactions and categories ---------------------------------------------------------


@strawberry.type
class PrimaryCategory:
    slug: str
    name: str


@strawberry.type
class TransactionCategory:
    slug: str
    name: str
    primary: PrimaryCategory


@strawberry.type
class Category:
    slug: str
    code: str
    name: str
    short_name: str
    description: str
    primary: PrimaryCategory | None


# --- Batches ----------------------------------------------------------------------------


@strawberry.type
class StatusCounts:
    pending: int
    processing: int
    completed: int
    failed: int


@strawberry.type
class BatchScope:
    account_ids: list[str] | None
    start_date: str | None
    end_date: str | None
    only_uncategorised: bool


@strawberry.type
class Batch:
    batch_id: str
    kind: str
    status: str
    request_id: str | None
    total_transactions: int | None
    created: int
    updated: int
    unchanged: int
    deleted: int
    counts: StatusCounts
    received_at: str
    started_at: str | None
    finished_at: str | None
    scope: BatchScope | None


@strawberry.type
class BatchRetry:
    batch_id: str
    requeued: int


# --- Rules, budgets, alerts, rates -------------------------------------------------------


@strawberry.type
class CategoryBrief:
    slug: str
    name: str


@strawberry.type
class Rule:
    id: strawberry.ID
    scope: str
    category: CategoryBrief
    pattern: str
    field: str
    match_type: str
    direction: str
    priority: int
    is_active: bool
    created_at: str
    updated_at: str


@strawberry.type
class BudgetStatus:
    period: DateRange
    amount: str
    spent: str
    remaining: str
    percent: float
    projected: str
    thresholds_crossed: list[float]
    currency: str
    unconverted: list[Unconverted]


@strawberry.type
class Alert:
    id: strawberry.ID
    budget: str = strawberry.field(description="The budget's id.")
    period: DateRange
    threshold: float
    spent: str
    currency: str
    created_at: str
    read: bool


@strawberry.type
class ExchangeRate:
    base: str
    quote: str
    date: str
    rate: str
    rate_date: str
    source: str


@strawberry.type
class DeletedBudget:
    id: strawberry.ID
