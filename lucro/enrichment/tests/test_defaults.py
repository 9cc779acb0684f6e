"""The seeded default rules: every row valid, seeded once, and good on the labelled set."""

from __future__ import annotations

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
