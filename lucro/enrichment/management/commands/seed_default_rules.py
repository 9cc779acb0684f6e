"""Create or update the global default rules from data/default_rules.csv (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from lucro.enrichment.defaults import RULES_CSV, seed_default_rules
from lucro.enrichment.models import Rule, RuleSetVersion
from lucro.taxonomy.models import Category


class Command(BaseCommand):
    help = (
        "Create or update the global default rules from default_rules.csv (the data "
        "migration does this once; run it again after editing the file)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            written, problems = seed_default_rules(Rule, Category, RuleSetVersion)
        for problem in problems:
            self.stderr.write(f"skipped {problem}")
        self.stdout.write(f"{written} default rules written from {RULES_CSV}")
