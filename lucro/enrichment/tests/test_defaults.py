"""The seeded default rules: every row valid, seeded once, and good on the labelled set."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from lucro.enrichment.defaults import default_rules, seed_default_rules
from lucro.enrichment.models import Rule, RuleSetVersion
from lucro.enrichment.patterns import rule_pattern_check
from lucro.taxonomy.defaults import taxonomy
from lucro.taxonomy.models import Category


def test_every_default_rule_is_valid() -> None:
    slugs = {entry.slug for entry in taxonomy()}
    rules = default_rules()
    assert len(rules) >= 300
    for rule in rules:
        assert rule.category in slugs, rule
        assert rule.field in Rule.Field.values, rule
        assert rule.match_type in Rule.MatchType.values, rule
        assert rule.direction in Rule.Direction.values, rule
        # What the API and the admin accept (RE2, the default length limit): an operator can
        # edit any default rule without tripping over a check.
        rule_pattern_check(rule.pattern, rule.match_type)
    assert max(len(rule.pattern) for rule in rules) <= settings.RULE_PATTERN_MAX_LENGTH


@pytest.mark.django_db
def test_migration_seeded_the_defaults_and_seeding_again_is_idempotent() -> None:
    seeded = Rule.objects.filter(organization__isnull=True).count()
    assert seeded == len({(r.pattern, r.field, r.match_type, r.direction) for r in default_rules()})
    version = RuleSetVersion.objects.get(pk=1).version
    written, problems = seed_default_rules(Rule, Category, RuleSetVersion)
    assert written == seeded
    assert problems == []
    assert Rule.objects.filter(organization__isnull=True).count() == seeded
    assert RuleSetVersion.objects.get(pk=1).version > version


def _default_matcher() -> tuple[Any, dict[str, str]]:
    """Return the default rules compiled as the enricher compiles them, and rule -> slug."""
    import datetime as dt
    import uuid

    from lucro.enrichment.matcher import Matcher, RuleSpec

    specs, slugs = [], {}
    for i, d in enumerate(default_rules()):
        spec = RuleSpec(
            id=uuid.UUID(int=i + 1),
            organization_id=None,
            category_id=uuid.UUID(int=i + 1),
            pattern=d.pattern,
            field=d.field,
            match_type=d.match_type,
            direction=d.direction,
            priority=d.priority,
            created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i),
        )
        specs.append(spec)
        slugs[str(spec.id)] = d.category
    return Matcher(specs), slugs


@pytest.mark.parametrize(
    ("description", "merchant", "amount", "slug"),
    [
        # Fee lines name the merchant the fee was for: still a bank fee.
        ("FOREIGN TXN FEE: SPOTIFY", "Spotify", "-4.10", "bank-fees-foreign-transaction-fees"),
        ("INT'L TXN FEE", None, "-2.35", "bank-fees-foreign-transaction-fees"),
        ("CROSS-BORDER FEE NETFLIX.COM", None, "-3.20", "bank-fees-foreign-transaction-fees"),
        ("CARD FEE - UBER", None, "-1.50", "bank-fees-other-bank-fees"),
        ("POS PURCHASE FEE SHOPRITE", None, "-2.00", "bank-fees-other-bank-fees"),
        ("CASH WITHDRAWAL FEE", None, "-10.00", "bank-fees-atm-fees"),
        ("ATM WDL FEE ABSA GATEWAY", None, "-12.00", "bank-fees-atm-fees"),
        # South Africa: debit orders, unpaid items, banking-app payments, interest.
        ("UNPAID DEBIT ORDER FEE", None, "-130.00", "bank-fees-insufficient-funds"),
        ("DISHONOURED DEBIT ORDER FEE DISCOVERY", None, "-99.00", "bank-fees-insufficient-funds"),
        ("INSUFFICIENT FUNDS FEE", None, "-130.00", "bank-fees-insufficient-funds"),
        ("UNPAID ITEM", None, "-120.00", "bank-fees-insufficient-funds"),
        ("DEBICHECK FEE", None, "-5.50", "bank-fees-other-bank-fees"),
        ("NAEDO 0044512 ZX PAYMENTS", None, "-450.00", "transfer-out-other-transfer-out"),
        ("FNB APP PAYMENT TO THABO", None, "-300.00", "transfer-out-account-transfer"),
        ("CAPITEC APP PAYMENT FROM LERATO", None, "300.00", "transfer-in-account-transfer"),
        ("MAGTAPE CREDIT 0043921", None, "2500.00", "transfer-in-account-transfer"),
        ("CREDIT INTEREST", None, "12.34", "income-interest-earned"),
        ("INTEREST CAPITALISED", None, "3.02", "income-interest-earned"),
        ("OVERDRAFT INTEREST", None, "-54.20", "bank-fees-interest-charge"),
        ("FINANCE CHARGE", None, "-88.00", "bank-fees-interest-charge"),
        # Kenya (M-Pesa), Nigeria (NIP), Ghana (MoMo, GhIPSS).
        ("M-Shwari Deposit", None, "-1000.00", "transfer-out-savings"),
        ("M-Shwari Withdraw", None, "1000.00", "transfer-in-savings"),
        ("Deposit of Funds at Agent Till 112233", None, "2000.00", "transfer-in-deposit"),
        ("Customer Withdrawal At Agent Till 445566", None, "-1500.00", "transfer-out-withdrawal"),
        ("NIP/GTB/ADEBAYO OLUWASEUN", None, "15000.00", "transfer-in-account-transfer"),
        ("USSD TRANSFER TO CHIOMA", None, "-5000.00", "transfer-out-account-transfer"),
        ("COT CHARGE", None, "-50.00", "bank-fees-other-bank-fees"),
        ("GHIPSS TRANSFER FROM KWAME", None, "800.00", "transfer-in-account-transfer"),
        ("MOMO INTEREST", None, "1.20", "income-interest-earned"),
        ("CASH IN 0244123456", None, "200.00", "transfer-in-deposit"),
    ],
)
def test_fee_lines_and_market_idioms(
    description: str, merchant: str | None, amount: str, slug: str
) -> None:
    from decimal import Decimal

    matcher, slugs = _default_matcher()
    spec = matcher.match(
        organization_id=None,
        description=description,
        merchant_name=merchant,
        amount=Decimal(amount),
    )
    assert spec is not None and slugs[str(spec.id)] == slug, (spec and spec.pattern, slug)
