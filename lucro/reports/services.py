"""Report-side writes: a user's manual categorisation of a transaction."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from lucro.core.errors import NotFound, ValidationFailed
from lucro.enrichment.models import Category
from lucro.ingestion.models import CategorySource, Transaction
from lucro.reports.cache import accounts_touched
from lucro.tenancy.models import Organization


@transaction.atomic
def transaction_categorise(
    *, organization: Organization, transaction_pk: str, category_slug: str | None
) -> None:
    """Record a manual category (or none) for one transaction; rule runs keep it.

    One conditional UPDATE: the rollup trigger moves the row between categories in the
    same transaction, and the account's cached reports are invalidated on commit.
    """
    try:
        pk = uuid.UUID(transaction_pk)
    except (ValueError, TypeError) as exc:
        raise NotFound("No such transaction.") from exc
    category = None
    if category_slug is not None:
        category = Category.objects.filter(slug=category_slug).first()
        if category is None:
            raise ValidationFailed(
                f"No category {category_slug!r}.",
                errors=[{"pointer": "/category", "detail": f"No category {category_slug!r}."}],
            )
    rows = Transaction.objects.filter(organization=organization, pk=pk)
    account_pk = rows.values_list("account_id", flat=True).first()
    if account_pk is None:
        raise NotFound("No such transaction.")
    rows.update(
        category=category,
        category_source=CategorySource.MANUAL,
        category_confidence=1.0,
        category_rule_id=None,
        category_model_version=None,
        updated_at=timezone.now(),
    )
    accounts_touched([account_pk])
