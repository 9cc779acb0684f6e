"""Transaction reads for the API: one transaction, and a filtered, cursor-paginated list.

The list is ordered newest first by ``(date, created_at, id)`` and paginated by keyset
(the cursor carries the last row's key), so a page never repeats or skips a row because
others were inserted meanwhile, and deep pages cost the same as the first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q, QuerySet

from lucro.core.currencies import format_money
from lucro.core.errors import NotFound, ValidationFailed
from lucro.core.params import ascii_int, cursor_decode, cursor_encode, iso_date, iso_datetime
from lucro.ingestion.models import CategorySource, IngestionStatus, Transaction
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _category_doc(category: Category | None) -> dict[str, Any] | None:
    if category is None:
        return None
    primary = category.parent or category
    return {
        "slug": category.slug,
        "name": category.name,
        "primary": {"slug": primary.slug, "name": primary.name},
    }


def transaction_doc(txn: Transaction) -> dict[str, Any]:
    """Return a transaction as the API shows it (SPEC §6)."""
    return {
        "id": str(txn.id),
        "transaction_id": txn.transaction_id,
        "account_id": txn.account.account_id,
        "batch_id": str(txn.batch_id),
        "amount": format_money(txn.amount, txn.currency),
        "currency": txn.currency,
        "date": txn.date.isoformat(),
        "authorized_date": txn.authorized_date.isoformat() if txn.authorized_date else None,
        "description": txn.description,
        "merchant_name": txn.merchant_name,
        "payment_channel": txn.payment_channel,
        "pending": txn.pending,
        "ingestion_status": txn.ingestion_status,
        "category": _category_doc(txn.category),
        "category_source": txn.category_source,
        "category_confidence": txn.category_confidence,
        "failure_reason": txn.failure_reason,
    }


def _base(organization: Organization) -> QuerySet[Transaction]:
    return Transaction.objects.filter(organization=organization).select_related(
        "account", "category", "category__parent"
    )


def transaction_get(*, organization: Organization, transaction_pk: str) -> Transaction:
    """Return the caller's transaction by its UUID; anything else is a 404."""
    try:
        pk = uuid.UUID(transaction_pk)
    except (ValueError, TypeError) as exc:
        raise NotFound("No such transaction.") from exc
    txn = _base(organization).filter(pk=pk).first()
    if txn is None:
        raise NotFound("No such transaction.")
    return txn


@dataclass(frozen=True)
class Page:
    results: list[dict[str, Any]]
    next_cursor: str | None


def _encode_cursor(txn: Transaction) -> str:
    return cursor_encode([txn.date.isoformat(), txn.created_at.isoformat(), str(txn.id)])


def _decode_cursor(value: str) -> tuple[dt.date, dt.datetime, uuid.UUID]:
    parts = cursor_decode(value, 3)
    try:
        if parts is None:
            raise ValueError(value)
        # The date is a stored row's (no arithmetic is done with it): any real date.
        date = iso_date(parts[0], bounded=False)
        return date, iso_datetime(parts[1]), uuid.UUID(parts[2])
    except ValueError as exc:
        raise ValidationFailed(
            "The cursor is not valid.",
            errors=[{"pointer": "/cursor", "detail": "Use the next link of a previous page."}],
        ) from exc


def _filters(params: Mapping[str, str], errors: list[dict[str, str]]) -> Q:
    q = Q()
    if params.get("account_id"):
        q &= Q(account__account_id=params["account_id"])
    for name, lookup in (("start_date", "date__gte"), ("end_date", "date__lte")):
        raw = params.get(name)
        if raw:
            try:
                q &= Q(**{lookup: iso_date(raw)})
            except ValueError as exc:
                errors.append({"pointer": f"/{name}", "detail": f"{name} {exc}"})
    for name, lookup in (("min_amount", "amount__gte"), ("max_amount", "amount__lte")):
        raw = params.get(name)
        if raw:
            try:
                amount = Decimal(raw)
                if not amount.is_finite():
                    raise InvalidOperation(raw)
                q &= Q(**{lookup: amount})
            except InvalidOperation:
                errors.append({"pointer": f"/{name}", "detail": f"{name} must be a decimal."})
    for name, field, choices in (
        ("status", "ingestion_status", IngestionStatus.values),
        ("source", "category_source", CategorySource.values),
    ):
        raw = params.get(name)
        # Present but empty is not "no filter": "" is not one of the values (the schema's
        # enum says so too), so ?source= is refused like any other unknown value.
        if raw is not None:
            if raw in choices:
                q &= Q(**{field: raw})
            else:
                errors.append(
                    {
                        "pointer": f"/{name}",
                        "detail": f"{name} must be one of {', '.join(choices)}.",
                    }
                )
    slug = params.get("category")
    if slug:
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            errors.append({"pointer": "/category", "detail": f"No category {slug!r}."})
        else:
            # A primary category's slug matches its detailed categories too.
            q &= Q(category=category) | Q(category__parent=category)
    search = params.get("search")
    if search:
        q &= Q(description__icontains=search) | Q(merchant_name__icontains=search)
    return q


def _limit(params: Mapping[str, str], errors: list[dict[str, str]]) -> int:
    raw = params.get("limit")
    if not raw:
        return DEFAULT_LIMIT
    limit = ascii_int(raw)
    if limit is not None and 1 <= limit <= MAX_LIMIT:
        return limit
    errors.append({"pointer": "/limit", "detail": f"limit must be 1 to {MAX_LIMIT}."})
    return DEFAULT_LIMIT


def transaction_list(*, organization: Organization, params: Mapping[str, str]) -> Page:
    """Return one page of the caller's transactions, newest first."""
    errors: list[dict[str, str]] = []
    q = _filters(params, errors)
    limit = _limit(params, errors)
    if errors:
        raise ValidationFailed(" ".join(e["detail"] for e in errors), errors=errors)
    rows = _base(organization).filter(q)
    if params.get("cursor"):
        date, created, pk = _decode_cursor(params["cursor"])
        rows = rows.filter(
            Q(date__lt=date)
            | Q(date=date, created_at__lt=created)
            | Q(date=date, created_at=created, id__lt=pk)
        )
    page = list(rows.order_by("-date", "-created_at", "-id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return Page(
        [transaction_doc(t) for t in page], _encode_cursor(page[-1]) if more and page else None
    )
