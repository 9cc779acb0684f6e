"""What each page shows, read through the API's own selectors (no query of its own).

Each function takes the caller and parsed arguments and returns the template's context:
the same documents the REST endpoints answer with (``lucro.reports.responses``, budget
statuses), plus the numbers each chart draws, which the page also prints as a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from lucro.budgets import selectors as budgets
from lucro.budgets.models import Budget
from lucro.budgets.selectors import BudgetStatus
from lucro.core.errors import ValidationFailed
from lucro.core.pagination import PageParams
from lucro.ingestion import selectors as ingestion
from lucro.ingestion.models import IngestionStatus
from lucro.reports import params as report_params
from lucro.reports import selectors as reports
from lucro.reports.queries import DateRange, month_start
from lucro.taxonomy.selectors import categories_list
from lucro.tenancy.models import Organization
from lucro.tenancy.principal import Principal

# An overview lists this many accounts and budgets (the first ones by id and by creation);
# each costs one cached report read.
OVERVIEW_ACCOUNTS = 50
OVERVIEW_BUDGETS = 20
UNREAD_ALERTS = 10
# Rows per page of the transactions table, budgets' past periods, recent batches, failed rows.
TRANSACTIONS_PER_PAGE = 25
HISTORY_PERIODS = 6
RECENT_BATCHES = 20
FAILED_ROWS = 50


def this_month(today: dt.date) -> DateRange:
    return DateRange(month_start(today), today)


def default_range(today: dt.date) -> DateRange:
    """The account page's range when none is chosen: this month and the eleven before."""
    start = month_start(today)
    for _ in range(11):
        start = month_start(start - dt.timedelta(days=1))
    return DateRange(start, today)


def chart(labels: list[str], **series: list[str]) -> dict[str, Any]:
    """Return a chart's data for the page's script: labels and named series of numbers."""
    return {"labels": labels, "series": {k: [float(v) for v in vs] for k, vs in series.items()}}


def overview(principal: Principal, today: dt.date) -> dict[str, Any]:
    organization = principal.organization
    span = this_month(today)
    accounts = reports.account_list(
        organization=organization, deleted=False, page=PageParams(limit=OVERVIEW_ACCOUNTS)
    )
    rows = []
    for account in accounts.results:
        summary = reports.account_summary(
            organization=organization, account_id=account["account_id"], span=span, level="primary"
        )
        rows.append({"account": account, "metrics": summary["metrics"]})
    totals = reports.organization_summary(organization=organization, span=span)
    top = totals["top_categories"]
    other = Decimal(totals["metrics"]["total_spend"]) - sum(
        (Decimal(c["total_spend"]) for c in top), Decimal(0)
    )
    labels = [c["category"] for c in top] + (["Other"] if other > 0 else [])
    amounts = [c["total_spend"] for c in top] + ([str(other)] if other > 0 else [])
    budget_rows = [
        {"budget": b, "status": _status(organization, b, today)}
        for b in budgets.budget_list(organization=organization)[:OVERVIEW_BUDGETS]
    ]
    alerts = budgets.alert_list(organization=organization, unread=True).select_related("budget")
    return {
        "span": span,
        "accounts": rows,
        "more_accounts": accounts.next_cursor is not None,
        "totals": totals,
        "spending_chart": chart(labels, spend=amounts),
        "spending_rows": list(zip(labels, amounts, strict=True)),
        "budgets": budget_rows,
        "alerts": list(alerts.order_by("-created_at")[:UNREAD_ALERTS]),
    }


def _clean(query: Mapping[str, str]) -> dict[str, str]:
    """Return the filled-in fields of a page's query (an empty field is "no filter": the
    REST list refuses ?status= as a value); a NUL character is refused before any query
    (PostgreSQL text cannot hold one)."""
    if any("\x00" in v for v in query.values()):
        raise ValidationFailed("The filters may not contain a NUL character.")
    return {k: v for k, v in query.items() if v.strip()}


def parse_range(query: Mapping[str, str], today: dt.date) -> DateRange:
    """Return the chosen range (both ends, or neither: the default), or raise a 400."""
    chosen = _clean(query)
    if "start_date" not in chosen and "end_date" not in chosen:
        return default_range(today)
    return report_params.parse_range(chosen)


def account_reports(principal: Principal, account_id: str, span: DateRange) -> dict[str, Any]:
    """The summary cards and both charts of an account over ``span``."""
    organization = principal.organization
    summary = reports.account_summary(
        organization=organization, account_id=account_id, span=span, level="primary"
    )
    categories = reports.account_categories(
        organization=organization, account_id=account_id, span=span, level="primary"
    )
    spending = [c for c in categories["categories"] if Decimal(c["total_spend"]) > 0]
    series = reports.account_timeseries(
        organization=organization, account_id=account_id, span=span, interval="month"
    )["series"]
    return {
        "summary": summary,
        "categories": categories["categories"],
        "category_chart": chart(
            [c["category"] or "Uncategorised" for c in spending],
            spend=[c["total_spend"] for c in spending],
        ),
        "months": series,
        "month_chart": chart(
            [p["start"][:7] for p in series],
            income=[p["income"] for p in series],
            spend=[p["spend"] for p in series],
        ),
    }


def transactions(
    principal: Principal, account_id: str, span: DateRange, query: Mapping[str, str]
) -> dict[str, Any]:
    """One page of the account's transactions in ``span``, filtered as ``query`` asks."""
    chosen = _clean(query)
    chosen.update(
        account_id=account_id,
        start_date=span.start.isoformat(),
        end_date=span.end.isoformat(),
        limit=str(TRANSACTIONS_PER_PAGE),
    )
    filters, page = report_params.parse_transaction_list(chosen)
    found = reports.transaction_list(
        organization=principal.organization, filters=filters, page=page
    )
    kept = {k: v for k, v in _clean(query).items() if k != "cursor"}
    return {
        "transactions": found.results,
        "next_query": urlencode({**kept, "cursor": found.next_cursor})
        if found.next_cursor
        else None,
        "first_query": urlencode(kept) if "cursor" in query else None,
        "filtered": any(k in kept for k in ("search", "category", "status")),
    }


def filter_choices() -> dict[str, Any]:
    return {"category_options": list(categories_list()), "statuses": IngestionStatus.values}


def _status(organization: Organization, budget: Budget, today: dt.date) -> BudgetStatus:
    return budgets.budget_status_cached(
        organization=organization, budget_id=budget.pk, day=today, budget=budget
    )


def budgets_page(principal: Principal, today: dt.date) -> dict[str, Any]:
    organization = principal.organization
    rows = [
        {
            "budget": b,
            "status": _status(organization, b, today),
            "history": budgets.budget_history(budget=b, today=today, periods=HISTORY_PERIODS),
        }
        for b in budgets.budget_list(organization=organization)
    ]
    alerts = budgets.alert_list(organization=organization).select_related("budget")
    return {"budgets": rows, "alerts": list(alerts.order_by("-created_at")[:FAILED_ROWS])}


def batches_page(principal: Principal) -> dict[str, Any]:
    organization = principal.organization
    failed = reports.transaction_list(
        organization=organization,
        filters=report_params.TransactionFilters(status=IngestionStatus.FAILED),
        page=PageParams(limit=FAILED_ROWS),
    )
    return {
        "batches": ingestion.batch_recent(organization=organization, limit=RECENT_BATCHES),
        "failed": failed.results,
    }


def account_ids(principal: Principal) -> list[str]:
    """The ids of the organization's live accounts a budget may name (the first 500)."""
    found = reports.account_list(
        organization=principal.organization, deleted=False, page=PageParams(limit=500)
    )
    return [a["account_id"] for a in found.results]
