"""What people change through the reporting API: a transaction's manual category."""

from __future__ import annotations

import uuid

from django.db import transaction

from lucro.audit.services import audit_record
from lucro.ingestion.transitions import transaction_categorise
from lucro.taxonomy.models import Category
from lucro.tenancy.principal import Principal


@transaction.atomic
def transaction_category_change(
    *, actor: Principal, transaction_pk: uuid.UUID | str, category_slug: str | None
) -> None:
    """Set (or clear) a transaction's manual category for ``actor``; audit it, from and to.

    The owner's transition writes the row; the audit event joins its transaction, so a
    refused change (an unknown slug, another tenant's transaction) records nothing.
    """
    change = transaction_categorise(
        organization=actor.organization, transaction_pk=transaction_pk, category_slug=category_slug
    )
    before = (
        Category.objects.filter(pk=change.before_id).values_list("slug", flat=True).first()
        if change.before_id is not None
        else None
    )
    audit_record(
        organization=actor.organization,
        actor=actor,
        action="transaction.categorised",
        object_type="transaction",
        object_id=change.transaction_id,
        changes={
            "category": {
                "from": before,
                "to": change.after.slug if change.after is not None else None,
            }
        },
    )
