"""The default global rules, read from ``data/default_rules.csv``.

Used by the data migration that seeds them (with historical models) and by tests; the
seeding is idempotent: a rule is identified by (pattern, field, match_type, direction).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lucro.enrichment.patterns import PatternRefused, Regex
from lucro.enrichment.rules_version import version_step

RULES_CSV = Path(__file__).resolve().parent / "data" / "default_rules.csv"


@dataclass(frozen=True)
class DefaultRule:
    pattern: str
    field: str
    match_type: str
    direction: str
    priority: int
    category: str  # a taxonomy slug


def default_rules(path: Path = RULES_CSV) -> list[DefaultRule]:
    """Return the rules of the CSV, in file order."""
    out = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pattern = (row.get("pattern") or "").strip()
            if not pattern:
                continue
            out.append(
                DefaultRule(
                    pattern=pattern,
                    field=(row.get("field") or "either").strip() or "either",
                    match_type=(row.get("match_type") or "contains").strip() or "contains",
                    direction=(row.get("direction") or "").strip() or "any",
                    priority=int((row.get("priority") or "50").strip() or 50),
                    category=(row.get("category") or "").strip(),
                )
            )
    return out


def seed_default_rules(
    rule_model: Any, category_model: Any, version_model: Any, path: Path = RULES_CSV
) -> tuple[int, list[str]]:
    """Create or update the global default rules; return (rules written, problems).

    Takes the model classes so that a migration can pass its historical models. A row with
    an unknown category or a regex that RE2 (the matcher's engine) refuses is skipped and
    reported.
    """
    slugs = dict(category_model.objects.values_list("slug", "pk"))
    problems: list[str] = []
    written = 0
    for index, rule in enumerate(default_rules(path), start=2):
        if rule.category not in slugs:
            problems.append(f"line {index}: unknown category {rule.category!r}")
            continue
        if rule.match_type == "regex":
            try:
                Regex(rule.pattern)
            except PatternRefused as exc:
                problems.append(f"line {index}: {exc}")
                continue
        rule_model.objects.update_or_create(
            organization=None,
            pattern=rule.pattern,
            field=rule.field,
            match_type=rule.match_type,
            direction=rule.direction,
            defaults={
                "category_id": slugs[rule.category],
                "priority": rule.priority,
                "is_active": True,
            },
        )
        written += 1
    # Running workers must recompile: this is a rule write like any other.
    from django.db.models import F

    # The same random step as every rule write (lucro.enrichment.rules_version).
    step = version_step()
    if not version_model.objects.filter(pk=1).update(version=F("version") + step):
        version_model.objects.get_or_create(pk=1, defaults={"version": 1 + step})
    return written, problems
