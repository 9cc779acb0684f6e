"""A rule write rolled back after its matcher was compiled leaves no stale matcher behind."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from lucro.enrichment.selectors import rule_test
from lucro.enrichment.services import rule_create
from lucro.taxonomy.models import Category
from lucro.tenancy.services import organization_get_or_create


class _Rollback(Exception):
    pass


# serialized_rollback: the test needs the migration-seeded categories (see conftest.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_next_rule_set_after_a_rollback_gets_a_fresh_matcher():
    organization = organization_get_or_create(name="Version Org")
    first, second = Category.objects.filter(parent__isnull=False).order_by("slug")[:2]

    def winner(text: str):
        return rule_test(
            organization=organization, description=text, merchant_name=None, amount=Decimal(-1)
        )

    with pytest.raises(_Rollback), transaction.atomic():
        rule_create(organization=organization, category=first, pattern="zqxfoo")
        assert winner("zqxfoo shop").category == first  # compiled inside the transaction
        raise _Rollback
    rule_create(organization=organization, category=second, pattern="zqxbar")
    # With a version step of 1 this rule set got the rolled-back one's number, and this
    # process kept matching with the rolled-back rule set.
    assert winner("zqxfoo shop") is None
    assert winner("zqxbar shop").category == second
