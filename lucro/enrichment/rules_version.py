"""The rule-set version: every rule write bumps it; workers compare it to rebuild."""

from __future__ import annotations

from django.db.models import F

from lucro.enrichment.models import RuleSetVersion


def rules_version_bump() -> None:
    """Bump the version so every running worker recompiles its matcher on its next chunk."""
    updated = RuleSetVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        RuleSetVersion.objects.get_or_create(pk=1, defaults={"version": 2})


def rules_version_current() -> int:
    """Return the current version (one indexed primary-key read)."""
    row = RuleSetVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row) if row is not None else 0
