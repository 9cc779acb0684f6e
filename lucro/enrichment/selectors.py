"""Enrichment reads: the rules a tenant sees, what a rule set would do."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db.models import Q, QuerySet

from lucro.core.errors import Forbidden, NotFound
from lucro.enrichment.enrichers import matcher_current
from lucro.enrichment.models import Rule
from lucro.tenancy.models import Organization


def rules_visible(*, organization: Organization) -> QuerySet[Rule]:
    """Return the rules the organization sees: its own and the global defaults."""
    return Rule.objects.select_related("category", "category__parent").filter(
        Q(organization=organization) | Q(organization__isnull=True)
    )


def rule_get(*, organization: Organization, rule_id: str, writable: bool = False) -> Rule:
    """Return one visible rule; another tenant's rule is as missing as a made-up id.

    With ``writable``, a global rule is refused (403): tenants read the defaults and
    override them with rules of their own.
    """
    try:
        pk = uuid.UUID(str(rule_id))
    except ValueError as exc:
        raise NotFound("No such rule.") from exc
    rule = rules_visible(organization=organization).filter(pk=pk).first()
    if rule is None:
        raise NotFound("No such rule.")
    if writable and rule.organization_id is None:
        raise Forbidden(
            "Global rules are read-only; create a rule of your own (it takes precedence)."
        )
    return rule


def rule_test(
    *,
    organization: Organization,
    description: str | None,
    merchant_name: str | None,
    amount: Decimal,
) -> Rule | None:
    """Return the rule that would categorise such a transaction now, or None."""
    spec = matcher_current().match(
        organization_id=organization.id,
        description=description,
        merchant_name=merchant_name,
        amount=amount,
    )
    if spec is None:
        return None
    return Rule.objects.select_related("category", "category__parent").get(pk=spec.id)
