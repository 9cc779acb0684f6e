"""What people change through the reporting API: a transaction's manual category, and
deletes and restores of accounts and transactions (each audited in its own transaction)."""

from __future__ import annotations

import uuid

from django.db import transaction

from lucro.audit.services import audit_record
from lucro.ingestion import transitions
from lucro.ingestion.transitions import Removal, transaction_categorise
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


def _removal_audit(actor: Principal, action: str, object_type: str, removal: Removal) -> None:
    # Restoring what is live changes nothing, and records nothing.
    if removal.changed:
        deleted = action.endswith(".deleted")
        audit_record(
            organization=actor.organization,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=removal.pk,
            changes={"deleted": {"from": not deleted, "to": deleted}},
        )


@transaction.atomic
def transaction_remove(*, actor: Principal, transaction_pk: str) -> None:
    """Soft-delete one of the caller's transactions; audit it."""
    removal = transitions.transaction_delete(
        organization=actor.organization, transaction_pk=transaction_pk
    )
    _removal_audit(actor, "transaction.deleted", "transaction", removal)


@transaction.atomic
def transaction_bring_back(*, actor: Principal, transaction_pk: str) -> None:
    """Restore one of the caller's deleted transactions; audit it."""
    removal = transitions.transaction_restore(
        organization=actor.organization, transaction_pk=transaction_pk
    )
    _removal_audit(actor, "transaction.restored", "transaction", removal)


@transaction.atomic
def account_remove(*, actor: Principal, account_id: str) -> None:
    """Soft-delete one of the caller's accounts with its transactions; audit it."""
    removal = transitions.account_delete(organization=actor.organization, account_id=account_id)
    _removal_audit(actor, "account.deleted", "account", removal)


@transaction.atomic
def account_bring_back(*, actor: Principal, account_id: str) -> None:
    """Restore one of the caller's deleted accounts with its transactions; audit it."""
    removal = transitions.account_restore(organization=actor.organization, account_id=account_id)
    _removal_audit(actor, "account.restored", "account", removal)
