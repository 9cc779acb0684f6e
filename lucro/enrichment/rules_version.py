"""The rule-set version: every rule write bumps it; workers compare it to rebuild."""

from __future__ import annotations

import secrets

from django.db.models import F

from lucro.enrichment.models import RuleSetVersion


def rules_version_bump() -> None:
    """Bump the version so every running worker recompiles its matcher on its next chunk.

    The step is random, not 1: a process may compile the matcher inside a rule write's
    transaction (a rule test after a save), and if that transaction rolls back, a step of 1
    would hand the same number to the next, different rule set, and that process would keep
    the stale matcher. A random step of up to 2**32 keeps the counter growing (a 63-bit
    column lasts ≈ 2**30 writes) while a repeat after a rollback is a 1-in-4-billion event.
    """
    step = version_step()
    updated = RuleSetVersion.objects.filter(pk=1).update(version=F("version") + step)
    if not updated:
        RuleSetVersion.objects.get_or_create(pk=1, defaults={"version": 1 + step})


def version_step() -> int:
    """Return the random step of one bump (see ``rules_version_bump``)."""
    return 1 + secrets.randbits(32)


def rules_version_current() -> int:
    """Return the current version (one indexed primary-key read)."""
    row = RuleSetVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row) if row is not None else 0
