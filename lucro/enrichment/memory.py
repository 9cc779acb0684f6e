"""Learning from corrections: an organization's merchant memory and the enricher that reads it.

A manual category (the API's PATCH, the admin's edit) is announced by the lifecycle owner as
``events.transaction_categorised``; ``memory_record`` counts it under the line's normalised
merchant key and direction, for that organization only. Once ``MEMORY_MIN_CORRECTIONS``
consistent corrections of a key agree, ``MemoryEnricher`` (first in the chain) gives that
organization's lines of the key the remembered category, as source ``model`` with
``model_version`` ``memory:<the organization's memory version>``, so a user can see why.

A contradicting correction (another category, or a cleared one) replaces the remembered
category and restarts the count at 1: the latest correction wins, and it takes
``MEMORY_MIN_CORRECTIONS`` of them in a row before the memory answers again. The confidence
is the share of all the key's corrections that agree with the remembered category.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from lucro.enrichment.chain import Answer, Row
from lucro.enrichment.models import MerchantMemory, MerchantMemoryVersion
from lucro.enrichment.normalise import statement_text
from lucro.enrichment.rules_version import version_step

KEY_MAX_LENGTH = 200  # MerchantMemory.key's column

# What differs between two lines of one merchant: punctuation (a separator, so
# ``REF#88213`` splits), any token holding a digit (dates, references, card fragments,
# store numbers) and the words that introduce a reference. ``&`` stays: it is part of names
# (``H&M``, ``M&S``). Measured ≈ 1.6 µs a 50-character line, against ≈ 7 µs for one regex
# substitution that dropped digit-tokens itself (it tried its alternation at every offset).
_TOKEN = re.compile(r"[\w&]+")
_DIGIT = re.compile(r"\d")
_REFERENCE_WORDS = frozenset({"ref", "reference", "rrn", "auth", "txn", "trx", "card"})

# A worker that meets many organizations keeps each one's memory; past this many it starts
# over rather than grow without bound (a reload is one query per organization).
_CACHE_MAX_ORGANIZATIONS = 1_000


def merchant_key(description: str | None, merchant_name: str | None) -> str | None:
    """Return the normalised merchant key of a line (None when nothing is left to key on).

    The merchant name when there is one, else the description: case-folded, split at
    whitespace and punctuation, tokens with digits and reference words dropped, joined by
    single spaces.
    """
    if merchant_name and not merchant_name.isspace():
        return _merchant_name_key(merchant_name)
    return _key(description) if description else None


def _key(text: str) -> str | None:
    kept = []
    for token in _TOKEN.findall(text.casefold()):
        # isalpha() first: most tokens are words, and it is cheaper than a regex search.
        if (token.isalpha() or not _DIGIT.search(token)) and token not in _REFERENCE_WORDS:
            kept.append(token)
    return " ".join(kept)[:KEY_MAX_LENGTH] or None


# Merchant names repeat (a chain's name on thousands of lines) where descriptions carry
# dates and references: only names are worth remembering. Bounded, and thread-safe.
_merchant_name_key = functools.lru_cache(maxsize=8192)(_key)


def _direction(money_in: bool) -> str:
    return MerchantMemory.Direction.IN if money_in else MerchantMemory.Direction.OUT


@transaction.atomic
def memory_record(
    *,
    organization_id: uuid.UUID,
    description: str | None,
    merchant_name: str | None,
    money_in: bool,
    category_id: uuid.UUID | None,
) -> bool:
    """Count one manual correction in the organization's memory; return False if unkeyable.

    A conditional update, never read-modify-write: the count grows when the correction
    agrees with the remembered category and restarts at 1 otherwise (SQL evaluates every
    ``SET`` against the row as it was, so the ``CASE`` sees the old category). The first
    correction of a key inserts a zero row (``ON CONFLICT DO NOTHING``: a concurrent first
    correction may have just inserted it) and then counts itself with the same update.
    """
    # Keyed as the chain reads the line (chain.statement_rows), so the lesson meets its lines.
    key = merchant_key(statement_text(description), merchant_name)
    if key is None:
        return False
    direction = _direction(money_in)
    now = timezone.now()
    agrees = Q(category_id=category_id) if category_id is not None else Q(category__isnull=True)
    changes = {
        "corrections": Case(When(agrees, then=F("corrections") + 1), default=Value(1)),
        "total": F("total") + 1,
        "category_id": category_id,
        "updated_at": now,
    }
    rows = MerchantMemory.objects.filter(
        organization_id=organization_id, key=key, direction=direction
    )
    if not rows.update(**changes):
        MerchantMemory.objects.bulk_create(
            [
                MerchantMemory(
                    organization_id=organization_id,
                    key=key,
                    direction=direction,
                    category_id=category_id,
                    updated_at=now,
                )
            ],
            ignore_conflicts=True,
        )
        rows.update(**changes)
    memory_version_bump(organization_id=organization_id)
    return True


def memory_version_bump(*, organization_id: uuid.UUID) -> None:
    """Bump the organization's memory version: every worker reloads it on its next chunk.

    A random step, as the rule-set version's (``rules_version_bump`` says why: a rolled-back
    bump must not hand its number to a different memory).
    """
    versions = MerchantMemoryVersion.objects.filter(pk=organization_id)
    step = version_step()
    if not versions.update(version=F("version") + step):
        MerchantMemoryVersion.objects.bulk_create(
            [MerchantMemoryVersion(organization_id=organization_id, version=0)],
            ignore_conflicts=True,
        )
        versions.update(version=F("version") + step)


def memory_versions(organization_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Return the memory version of each organization that has one (one indexed query)."""
    return dict(
        MerchantMemoryVersion.objects.filter(organization_id__in=organization_ids).values_list(
            "organization_id", "version"
        )
    )


@dataclass(frozen=True)
class Entry:
    """One corrected merchant key of an organization, whatever its count."""

    key: str
    money_in: bool
    category_id: uuid.UUID
    corrections: int  # the consistent corrections in a row behind category_id


@dataclass(frozen=True)
class Memory:
    """One organization's learned answers, as of one version: ``(key, money_in) → Answer``.

    ``answers`` holds the keys with enough consistent corrections; ``entries`` every
    corrected key, for ``lucro.enrichment.neighbours`` (lines like several corrected ones).
    """

    version: int
    min_corrections: int
    answers: dict[tuple[str, bool], Answer]
    entries: tuple[Entry, ...] = ()


def memory_load(*, organization_id: uuid.UUID, version: int) -> Memory:
    """Load the organization's keys with enough consistent corrections into a ``Memory``."""
    least = settings.MEMORY_MIN_CORRECTIONS
    model_version = f"memory:{version}"
    answers: dict[tuple[str, bool], Answer] = {}
    entries: list[Entry] = []
    rows = MerchantMemory.objects.filter(
        organization_id=organization_id, category__isnull=False
    ).values_list("key", "direction", "category_id", "corrections", "total")
    for key, direction, category_id, corrections, total in rows:
        money_in = direction == MerchantMemory.Direction.IN
        entries.append(Entry(key, money_in, category_id, corrections))
        if corrections >= least:
            # One Answer per key, shared by every row of it: the write-back renders it once.
            answers[(key, money_in)] = Answer(
                category_id=category_id,
                confidence=round(corrections / total, 4),
                source="model",
                model_version=model_version,
            )
    return Memory(version=version, min_corrections=least, answers=answers, entries=tuple(entries))


# This process's memories by organization; a chunk reloads one only when its version moved.
# Replacing a dict entry is atomic under the GIL, so threads at worst load one twice.
_memories: dict[uuid.UUID, Memory] = {}


def memories_current(organization_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Memory]:
    """Return the non-empty memories of these organizations, reloading the stale ones."""
    versions = memory_versions(organization_ids)
    if not versions:
        return {}
    if len(_memories) > _CACHE_MAX_ORGANIZATIONS:
        _memories.clear()
    least = settings.MEMORY_MIN_CORRECTIONS
    current: dict[uuid.UUID, Memory] = {}
    for organization_id, version in versions.items():
        memory = _memories.get(organization_id)
        if memory is None or memory.version != version or memory.min_corrections != least:
            memory = memory_load(organization_id=organization_id, version=version)
            _memories[organization_id] = memory
        if memory.entries:
            current[organization_id] = memory
    return current


class MemoryEnricher:
    """Answer with what the row's organization taught about its merchant, or pass."""

    # A dict lookup per row on a memory loaded at most once per version: safe to run inside
    # the claiming transaction, like the rules.
    in_process = True

    def enrich(self, rows: Sequence[Row]) -> list[Answer | None]:
        # One version read per chunk; an organization without corrections (the common case)
        # costs no key work at all.
        organizations = {row.organization_id for row in rows}
        memories = {
            organization: memory
            for organization, memory in (memories_current(organizations) if rows else {}).items()
            if memory.answers
        }
        if not memories:
            return [None] * len(rows)
        if len(organizations) == 1:
            # A chunk is one batch's, so one organization's: skip a UUID hash (Python code)
            # per row.
            (answers,) = (memory.answers for memory in memories.values())
            return [self._answer(answers, row) for row in rows]
        return [
            self._answer(memories[row.organization_id].answers, row)
            if row.organization_id in memories
            else None
            for row in rows
        ]

    @staticmethod
    def _answer(answers: dict[tuple[str, bool], Answer], row: Row) -> Answer | None:
        key = merchant_key(row.description, row.merchant_name)
        return answers.get((key, row.amount > 0)) if key is not None else None
