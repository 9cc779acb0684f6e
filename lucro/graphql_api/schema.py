"""SPEC §14's schema: queries and mutations over the selectors and services REST uses.

Each field checks what its REST endpoint checks (the same permission class, so the same
roles and API key scopes), parses its arguments with the REST parsers or input serializers
(the same rules, the same messages, pointers in GraphQL's names) and answers the REST
document of the same object. Another tenant's object is NOT_FOUND, as under REST.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator, Mapping
from typing import Any, cast

import strawberry
from django.utils import timezone
from rest_framework import serializers as drf_serializers
from rest_framework.renderers import JSONRenderer
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from lucro.budgets import selectors as budget_selectors
from lucro.budgets import services as budget_services
from lucro.budgets.params import parse_alert_filters, parse_status_date
from lucro.budgets.serializers import BudgetInSerializer, BudgetOutSerializer
from lucro.core.errors import (
    ApplicationError,
    NotFound,
    ValidationFailed,
    drf_detail_to_errors,
)
from lucro.core.pagination import BY_CREATION, DEFAULT_LIMIT, Keyset, Page, PageParams
from lucro.enrichment import selectors as enrichment_selectors
from lucro.enrichment import services as enrichment_services
from lucro.enrichment.serializers import (
    CategoryOutSerializer,
    RuleInSerializer,
    RuleOutSerializer,
)
from lucro.fx import selectors as fx_selectors
from lucro.fx.params import parse_rate_query
from lucro.fx.serializers import RateOutSerializer
from lucro.graphql_api import limits
from lucro.graphql_api.context import Context, principal_with
from lucro.graphql_api.errors import bad_input
from lucro.graphql_api.execution import DOCUMENT_KEY, LeafFastExecutionContext
from lucro.graphql_api.types import (
    AccountSummary,
    Alert,
    Batch,
    BatchRetry,
    BudgetStatus,
    Category,
    Connection,
    DeletedBudget,
    ExchangeRate,
    Me,
    Organization,
    PrimaryCategory,
    Rule,
    Timeseries,
    TransactionCategory,
)
from lucro.ingestion.selectors import batch_detail, batch_get
from lucro.reports import params as report_params
from lucro.reports import selectors as report_selectors
from lucro.reports import services as report_services
from lucro.reports.selectors import ACCOUNT_ORDER, TRANSACTION_ORDER
from lucro.taxonomy.selectors import categories_list
from lucro.tenancy import selectors as tenancy_selectors
from lucro.tenancy.permissions import (
    CanCategorise,
    CanConfigure,
    CanIngest,
    CanRead,
    IsMember,
)
from lucro.tenancy.serializers import MeOutSerializer, OrganizationOutSerializer


def document_resolver(obj: Any, name: str) -> Any:
    """Read a field of a REST document (a dict) by key, of anything else by attribute."""
    # dict, not Mapping: an ABC's isinstance costs more, on every field of every node.
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name)


def shown(document: Any) -> Any:
    """Return a REST document as the GraphQL object of the field's type (read by
    ``document_resolver``)."""
    return document


def _doc(root: object) -> dict[str, Any]:
    return cast(dict[str, Any], root)


def _as_json(document: Any) -> Any:
    """Return ``document`` exactly as REST renders it (datetimes, UUIDs and decimals as
    DRF writes them), for the documents REST answers without a serializer (a batch's)."""
    return json.loads(JSONRenderer().render(document))


def _unconverted(document: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``document`` with its ``unconverted`` map as a list of ``{currency, …}``."""
    rows = [{"currency": code, **row} for code, row in document["unconverted"].items()]
    return {**document, "unconverted": rows}


@contextlib.contextmanager
def rest_input(prefix: str = "", **renames: str) -> Iterator[None]:
    """Report REST's validation of an argument with its pointers in GraphQL's names,
    under ``prefix`` (``/filter``, ``/input``); ``renames``: REST names GraphQL spells
    otherwise."""
    try:
        yield
    except ApplicationError as exc:
        if exc.status != 400:
            raise
        raise bad_input(exc, prefix, renames) from exc


def _validated(serializer: drf_serializers.Serializer) -> dict[str, Any]:
    """Return the serializer's validated data, or raise REST's 400 with its pointers."""
    if not serializer.is_valid():
        errors = drf_detail_to_errors(serializer.errors)
        raise ValidationFailed(
            f"{len(errors)} field(s) are invalid." if errors else "The request is invalid.",
            errors=errors,
        )
    return dict(serializer.validated_data)


def _query(**values: str | None) -> dict[str, str]:
    """Return arguments as the REST query string they stand for (None: not sent)."""
    return {name: value for name, value in values.items() if value is not None}


def _page_params(keyset: Keyset, first: int | None, after: str | None) -> PageParams:
    problem = limits.page_size_problem(first)
    if problem is not None:
        raise ValidationFailed(problem, errors=[{"pointer": "/first", "detail": problem}])
    with rest_input():
        try:
            return keyset.page_params(_query(limit=str(first or DEFAULT_LIMIT), cursor=after))
        except ValidationFailed as exc:
            raise ValidationFailed(
                "after is not a cursor this API returned.",
                errors=[{"pointer": "/after", "detail": "Use a cursor of a previous page."}],
            ) from exc


def _connection(page: Page[Any], nodes: Any = None) -> Any:
    """Return a page (with each row's cursor) as a Relay connection document."""
    rows = list(page.results if nodes is None else nodes)
    return {
        "edges": [{"cursor": c, "node": n} for c, n in zip(page.cursors, rows, strict=True)],
        "nodes": rows,
        "page_info": {
            "has_next_page": page.next_cursor is not None,
            "end_cursor": page.next_cursor,
        },
    }


def _created_page(queryset: Any, first: int | None, after: str | None) -> Page[Any]:
    """Return a page of a list REST pages by creation (rules, budgets, alerts)."""
    return BY_CREATION.page(queryset, _page_params(BY_CREATION, first, after), cursors=True)


# --- Transactions and accounts -----------------------------------------------------------


@strawberry.input(description="The filters of the REST transaction list, in camelCase.")
class TransactionFilter:
    account_id: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    category: str | None = None
    status: str | None = None
    source: str | None = None
    min_amount: str | None = None
    max_amount: str | None = None
    search: str | None = None


def _transactions(
    info: Info[Context, Any],
    filter: TransactionFilter | None,
    first: int | None,
    after: str | None,
    account_id: str | None = None,
) -> Any:
    """Return a page of the caller's transactions as REST's list answers it."""
    principal = principal_with(info, CanRead)
    values = {f.name: getattr(filter, f.name) for f in dataclasses.fields(filter)} if filter else {}
    if account_id is not None:
        values["account_id"] = account_id
    with rest_input("/filter"):
        filters, _ = report_params.parse_transaction_list(_query(**values))
    page = report_selectors.transaction_list(
        organization=principal.organization,
        filters=filters,
        page=_page_params(TRANSACTION_ORDER, first, after),
        cursors=True,
    )
    info.context.accounts.know(page.accounts)
    # Each row with its account (read with the page): the ``account`` field then reads it
    # as a plain field (DOCUMENT_KEY), without a resolver's call per row.
    nodes = [{**row, "account": page.accounts.get(row["account_id"])} for row in page.results]
    return _connection(page, nodes)


@strawberry.type
class Account:
    id: strawberry.ID
    account_id: str
    name: str
    type: str
    subtype: str | None
    mask: str | None
    currency: str | None
    created_at: str
    updated_at: str
    deleted_at: str | None

    @strawberry.field(description="SPEC §6's summary over a date range (REST's, cached).")
    def summary(
        self,
        info: Info[Context, Any],
        start_date: str,
        end_date: str,
        currency: str | None = None,
        level: str | None = None,
    ) -> AccountSummary | None:
        principal = principal_with(info, CanRead)
        query = _query(start_date=start_date, end_date=end_date, currency=currency, level=level)
        with rest_input():
            span = report_params.parse_range(query)
            parsed_level = report_params.parse_level(query)
            parsed_currency = report_params.parse_currency(query)
        document = report_selectors.account_summary(
            organization=principal.organization,
            account_id=_doc(self)["account_id"],
            span=span,
            level=parsed_level,
            currency=parsed_currency,
        )
        return shown(_unconverted(document))

    @strawberry.field(description="Spend, income, net and count per day, week or month.")
    def timeseries(
        self,
        info: Info[Context, Any],
        start_date: str,
        end_date: str,
        interval: str | None = None,
        currency: str | None = None,
    ) -> Timeseries | None:
        principal = principal_with(info, CanRead)
        query = _query(
            start_date=start_date, end_date=end_date, interval=interval, currency=currency
        )
        with rest_input():
            span = report_params.parse_range(query)
            parsed_interval = report_params.parse_interval(query)
            parsed_currency = report_params.parse_currency(query)
        document = report_selectors.account_timeseries(
            organization=principal.organization,
            account_id=_doc(self)["account_id"],
            span=span,
            interval=parsed_interval,
            currency=parsed_currency,
        )
        return shown(_unconverted(document))

    @strawberry.field(description="The account's transactions, newest first.")
    def transactions(
        self,
        info: Info[Context, Any],
        filter: TransactionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Transaction] | None:
        return shown(_transactions(info, filter, first, after, account_id=_doc(self)["account_id"]))


@strawberry.type
class Transaction:
    id: strawberry.ID
    transaction_id: str
    account_id: str
    batch_id: str
    amount: str
    currency: str
    date: str
    authorized_date: str | None
    description: str | None
    merchant_name: str | None
    payment_channel: str | None
    pending: bool
    ingestion_status: str
    category: TransactionCategory | None
    category_source: str
    category_confidence: float | None
    failure_reason: str | None
    deleted_at: str | None
    amount_in_base_currency: str | None
    base_currency: str
    exchange_rate: str | None

    @strawberry.field(
        description="The account (read once for a whole page).",
        metadata={DOCUMENT_KEY: "account"},
    )
    def account(self, info: Info[Context, Any]) -> Account | None:
        document = _doc(self)
        if "account" in document:  # a page's row: its account read with the page
            return shown(document["account"])
        return shown(info.context.accounts.get(document["account_id"]))


# --- Budgets -----------------------------------------------------------------------------


@strawberry.type
class Budget:
    id: strawberry.ID
    name: str
    category: str | None
    accounts: list[str]
    period: str
    amount: str
    currency: str
    thresholds: list[float]
    starts_on: str
    created_at: str
    updated_at: str

    @strawberry.field(description="SPEC §12's status in the period holding `date` (today).")
    def status(self, info: Info[Context, Any], date: str | None = None) -> BudgetStatus | None:
        principal = principal_with(info, CanRead)
        with rest_input():
            day = parse_status_date(_query(date=date), today=timezone.now().date())
        status = budget_selectors.budget_status_cached(
            organization=principal.organization,
            budget_id=_doc(self)["id"],
            day=day,
            budget=info.context.budgets.get(_doc(self)["id"]),
        )
        return shown(_unconverted(cast(dict[str, Any], status)))


def _budget_doc(budget: Any) -> Any:
    return BudgetOutSerializer(budget).data


@strawberry.input
class BudgetInput:
    name: str
    amount: str
    category: str | None = strawberry.UNSET
    accounts: list[str] | None = strawberry.UNSET
    period: str | None = strawberry.UNSET
    thresholds: list[str] | None = strawberry.UNSET
    starts_on: str | None = strawberry.UNSET


@strawberry.input(description="The fields to change; those left out keep their value.")
class BudgetPatch:
    name: str | None = strawberry.UNSET
    amount: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    accounts: list[str] | None = strawberry.UNSET
    period: str | None = strawberry.UNSET
    thresholds: list[str] | None = strawberry.UNSET
    starts_on: str | None = strawberry.UNSET


@strawberry.input
class RuleInput:
    category: str
    pattern: str
    field: str | None = strawberry.UNSET
    match_type: str | None = strawberry.UNSET
    direction: str | None = strawberry.UNSET
    priority: int | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.input(description="The fields to change; those left out keep their value.")
class RulePatch:
    category: str | None = strawberry.UNSET
    pattern: str | None = strawberry.UNSET
    field: str | None = strawberry.UNSET
    match_type: str | None = strawberry.UNSET
    direction: str | None = strawberry.UNSET
    priority: int | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


def _body(value: object) -> dict[str, Any]:
    """Return an input object as the JSON body REST would have received (unset: absent)."""
    return {
        f.name: getattr(value, f.name)
        for f in dataclasses.fields(value)  # type: ignore[arg-type]
        if getattr(value, f.name) is not strawberry.UNSET
    }


# --- Query -------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="The caller (REST: GET /me/).")
    def me(self, info: Info[Context, Any]) -> Me | None:
        principal = principal_with(info, IsMember)
        return shown(MeOutSerializer(tenancy_selectors.me(principal=principal)).data)

    @strawberry.field(description="The caller's organization (REST: GET /organization/).")
    def organization(self, info: Info[Context, Any]) -> Organization | None:
        principal = principal_with(info, IsMember)
        return shown(OrganizationOutSerializer(principal.organization).data)

    @strawberry.field(description="The live accounts, by account id.")
    def accounts(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> Connection[Account] | None:
        principal = principal_with(info, CanRead)
        page = report_selectors.account_list(
            organization=principal.organization,
            deleted=False,
            page=_page_params(ACCOUNT_ORDER, first, after),
            cursors=True,
        )
        return shown(_connection(page))

    @strawberry.field(description="One live account by its account id.")
    def account(self, info: Info[Context, Any], account_id: str) -> Account | None:
        principal = principal_with(info, CanRead)
        return shown(
            report_selectors.account_detail(
                organization=principal.organization, account_id=account_id
            )
        )

    @strawberry.field(description="The transactions, newest first, filtered as REST's list.")
    def transactions(
        self,
        info: Info[Context, Any],
        filter: TransactionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Transaction] | None:
        return shown(_transactions(info, filter, first, after))

    @strawberry.field(description="One transaction by its id.")
    def transaction(self, info: Info[Context, Any], id: strawberry.ID) -> Transaction | None:
        principal = principal_with(info, CanRead)
        document = report_selectors.transaction_get(
            organization=principal.organization, transaction_pk=str(id)
        )
        info.context.accounts.want([document["account_id"]])
        return shown(document)

    @strawberry.field(description="One batch's status by its batch id.")
    def batch(self, info: Info[Context, Any], id: strawberry.ID) -> Batch | None:
        principal = principal_with(info, CanRead)
        return shown(_as_json(batch_detail(organization=principal.organization, batch_id=str(id))))

    @strawberry.field(description="Every category, primary and detailed, by name.")
    def categories(self, info: Info[Context, Any]) -> list[Category] | None:
        principal_with(info, CanRead)
        return shown(CategoryOutSerializer(categories_list(), many=True).data)

    @strawberry.field(description="The rules the organization sees: its own and the global.")
    def rules(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> Connection[Rule] | None:
        principal = principal_with(info, CanRead)
        rules = enrichment_selectors.rules_visible(organization=principal.organization)
        page = _created_page(rules, first, after)
        return shown(_connection(page, RuleOutSerializer(page.results, many=True).data))

    @strawberry.field(description="The organization's budgets, oldest first.")
    def budgets(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> Connection[Budget] | None:
        principal = principal_with(info, CanRead)
        budgets = budget_selectors.budget_list(organization=principal.organization)
        page = _created_page(budgets, first, after)
        info.context.budgets_read(page.results)
        return shown(_connection(page, BudgetOutSerializer(page.results, many=True).data))

    @strawberry.field(description="One budget by its id.")
    def budget(self, info: Info[Context, Any], id: strawberry.ID) -> Budget | None:
        principal = principal_with(info, CanRead)
        budget = budget_selectors.budget_get(organization=principal.organization, budget_id=id)
        info.context.budgets_read([budget])
        return shown(_budget_doc(budget))

    @strawberry.field(description="The budgets' alerts, oldest first.")
    def alerts(
        self,
        info: Info[Context, Any],
        budget_id: str | None = None,
        unread: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Alert] | None:
        principal = principal_with(info, CanRead)
        raw_unread = None if unread is None else str(unread).lower()
        with rest_input(budget="budgetId"):
            filters = parse_alert_filters(_query(budget=budget_id, unread=raw_unread))
        alerts = budget_selectors.alert_list(
            organization=principal.organization, budget_id=filters.budget, unread=filters.unread
        )
        page = _created_page(alerts, first, after)
        return shown(_connection(page, [budget_services.alert_doc(a) for a in page.results]))

    @strawberry.field(description="The rate of one pair on one day (default: today).")
    def exchange_rate(
        self, info: Info[Context, Any], base: str, quote: str, date: str | None = None
    ) -> ExchangeRate | None:
        principal = principal_with(info, CanRead)
        with rest_input():
            query = parse_rate_query(
                _query(base=base, quote=quote, date=date), today=timezone.now().date()
            )
        rate = fx_selectors.rate_get(
            organization=principal.organization, base=query.base, quote=query.quote, day=query.day
        )
        if rate is None:
            raise NotFound(f"No {query.base}/{query.quote} rate on {query.day.isoformat()}.")
        return shown(
            RateOutSerializer({**rate._asdict(), "rate": fx_selectors.rate_text(rate.rate)}).data
        )


# --- Mutation ----------------------------------------------------------------------------


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Set (or, with null, clear) a transaction's category; the learned "
        "enricher learns from it (REST: PATCH /transactions/<id>/)."
    )
    def set_transaction_category(
        self, info: Info[Context, Any], id: strawberry.ID, category: str | None
    ) -> Transaction | None:
        principal = principal_with(info, CanCategorise)
        with rest_input():
            slug = report_params.parse_category_patch({"category": category})
        report_services.transaction_category_change(
            actor=principal, transaction_pk=str(id), category_slug=slug
        )
        document = report_selectors.transaction_get(
            organization=principal.organization, transaction_pk=str(id)
        )
        info.context.accounts.want([document["account_id"]])
        return shown(document)

    @strawberry.mutation(description="Create a budget (REST: POST /budgets/).")
    def create_budget(self, info: Info[Context, Any], input: BudgetInput) -> Budget | None:
        principal = principal_with(info, CanConfigure)
        with rest_input("/input"):
            data = _validated(
                BudgetInSerializer(data=_body(input), organization=principal.organization)
            )
        budget = budget_services.budget_create(
            organization=principal.organization, actor=principal, **data
        )
        return shown(_budget_doc(budget))

    @strawberry.mutation(description="Change a budget (REST: PATCH /budgets/<id>/).")
    def update_budget(
        self, info: Info[Context, Any], id: strawberry.ID, input: BudgetPatch
    ) -> Budget | None:
        principal = principal_with(info, CanConfigure)
        budget = budget_selectors.budget_get(organization=principal.organization, budget_id=id)
        with rest_input("/input"):
            data = _validated(
                BudgetInSerializer(
                    budget, data=_body(input), partial=True, organization=principal.organization
                )
            )
        budget = budget_services.budget_update(budget=budget, data=data, actor=principal)
        return shown(_budget_doc(budget))

    @strawberry.mutation(description="Delete a budget and its alerts; answers its id.")
    def delete_budget(self, info: Info[Context, Any], id: strawberry.ID) -> DeletedBudget | None:
        principal = principal_with(info, CanConfigure)
        budget = budget_selectors.budget_get(organization=principal.organization, budget_id=id)
        budget_id = str(budget.pk)
        budget_services.budget_delete(budget=budget, actor=principal)
        return shown({"id": budget_id})

    @strawberry.mutation(description="Create a rule of the organization (REST: POST /rules/).")
    def create_rule(self, info: Info[Context, Any], input: RuleInput) -> Rule | None:
        principal = principal_with(info, CanConfigure)
        with rest_input("/input"):
            data = _validated(RuleInSerializer(data=_body(input)))
        rule = enrichment_services.rule_create(
            organization=principal.organization, actor=principal, **data
        )
        return shown(RuleOutSerializer(rule).data)

    @strawberry.mutation(description="Change a rule (REST: PATCH /rules/<id>/).")
    def update_rule(
        self, info: Info[Context, Any], id: strawberry.ID, input: RulePatch
    ) -> Rule | None:
        principal = principal_with(info, CanConfigure)
        rule = enrichment_selectors.rule_get(
            organization=principal.organization, rule_id=str(id), writable=True
        )
        with rest_input("/input"):
            data = _validated(RuleInSerializer(rule, data=_body(input), partial=True))
        rule = enrichment_services.rule_update(rule=rule, data=data, actor=principal)
        return shown(RuleOutSerializer(rule).data)

    @strawberry.mutation(description="Queue a batch's failed rows again (REST: POST …/retry/).")
    def retry_batch(self, info: Info[Context, Any], id: strawberry.ID) -> BatchRetry | None:
        principal = principal_with(info, CanIngest)
        batch = batch_get(organization=principal.organization, batch_id=str(id))
        count = enrichment_services.batch_retry(batch=batch, actor=principal)
        return shown({"batch_id": str(batch.id), "requeued": count})

    @strawberry.mutation(description="Mark an alert read (REST: POST /alerts/<id>/read/).")
    def mark_alert_read(self, info: Info[Context, Any], id: strawberry.ID) -> Alert | None:
        principal = principal_with(info, CanCategorise)
        alert = budget_selectors.alert_get(organization=principal.organization, alert_id=id)
        return shown(budget_services.alert_doc(budget_services.alert_mark_read(alert=alert)))


def schema_build() -> strawberry.Schema:
    """Return the schema with the limits of the current settings."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[PrimaryCategory],
        config=StrawberryConfig(default_resolver=document_resolver),
        extensions=limits.extensions(),
        execution_context_class=LeafFastExecutionContext,
    )


schema = schema_build()
