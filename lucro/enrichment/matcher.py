"""The compiled rule matcher: every active rule in one Aho-Corasick automaton.

Substring rules (contains / exact / starts_with) share one automaton over case-folded text,
so matching costs one pass over a transaction's text whatever the number of rules. Regex
rules are compiled once and tried only on texts where the automaton found one of their
required literals (``regex_triggers``: ``\\b(trf|xfer)\\b`` is tried only where "trf" or
"xfer" occurs), so hundreds of regex rules cost little more than substring ones.

Precedence is a total order fixed at compile time, so a rule's *rank* decides every tie:
the organization's own rule before a global one, then higher priority, then the longer
pattern, then the older rule (``created_at``, then id). The lowest rank that matches wins.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import ahocorasick

from lucro.enrichment.models import Rule

_MERCHANT, _DESCRIPTION = 1, 2
_CONTAINS, _STARTS, _EXACT, _REGEX = 0, 1, 2, 3
_FIELD_MASK = {
    Rule.Field.MERCHANT: _MERCHANT,
    Rule.Field.DESCRIPTION: _DESCRIPTION,
    Rule.Field.EITHER: _MERCHANT | _DESCRIPTION,
}
_DIRECTION = {Rule.Direction.ANY: 0, Rule.Direction.IN: 1, Rule.Direction.OUT: -1}
# Case-folded texts are cached per matcher; statement lines repeat a lot (merchants above
# all). The bound keeps a long-lived worker's memory flat.
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """The parts of a rule the matcher needs (built from a model row or by tests)."""

    id: uuid.UUID
    organization_id: uuid.UUID | None
    category_id: uuid.UUID
    pattern: str
    field: str = Rule.Field.EITHER
    match_type: str = Rule.MatchType.CONTAINS
    direction: str = Rule.Direction.ANY
    priority: int = 50
    created_at: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

    @classmethod
    def from_rule(cls, rule: Rule) -> RuleSpec:
        return cls(
            rule.id,
            rule.organization_id,
            rule.category_id,
            rule.pattern,
            rule.field,
            rule.match_type,
            rule.direction or Rule.Direction.ANY,
            rule.priority,
            rule.created_at,
        )


def normalize(text: str) -> str:
    """Return ``text`` case-folded (Unicode-aware) with runs of whitespace made one space."""
    return " ".join(text.casefold().split())


def precedence_key(spec: RuleSpec) -> tuple[object, ...]:
    """Return the sort key of a rule: lower sorts first and wins."""
    return (
        spec.organization_id is None,
        -spec.priority,
        -len(spec.pattern),
        spec.created_at,
        str(spec.id),
    )


def _factors(items: Any) -> list[frozenset[str]]:
    """Return literal factors of a parsed regex: sets of strings, one of which must occur."""
    factors: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            factors.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        char = chr(av) if op is _sre.LITERAL else ""
        if char.isascii() and char.isalnum():
            run.append(char.lower())
            continue
        flush()
        if op is _sre.SUBPATTERN:
            factors.extend(_factors(av[-1]))
        elif op is _sre.BRANCH:
            alternatives = [_best_factor(branch) for branch in av[1]]
            if all(alternatives):
                factors.append(frozenset().union(*alternatives))  # type: ignore[arg-type]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            factors.extend(_factors(av[2]))
    flush()
    return factors


def _best_factor(items: Any) -> frozenset[str] | None:
    usable = [f for f in _factors(items) if min(len(s) for s in f) >= 2]
    return max(usable, key=lambda f: (min(len(s) for s in f), -len(f)), default=None)


def regex_triggers(pattern: str) -> frozenset[str] | None:
    """Return literals at least one of which occurs (case-folded) wherever ``pattern`` matches.

    Only ASCII letters and digits are taken, so folding the text cannot change them. A regex
    with triggers is tried only on texts where the automaton found one; None means "always
    try it" (no usable literal).
    """
    try:
        return _best_factor(_parser.parse(pattern))
    except (re.error, RecursionError):
        return None


class Matcher:
    """All active rules compiled for matching; immutable once built."""

    def __init__(self, specs: Iterable[RuleSpec], version: int = 0) -> None:
        self.version = version
        self.rules: list[RuleSpec] = sorted(specs, key=precedence_key)
        self._org = [r.organization_id for r in self.rules]
        self._fields = [_FIELD_MASK[Rule.Field(r.field)] for r in self.rules]
        self._direction = [_DIRECTION[Rule.Direction(r.direction or "any")] for r in self.rules]
        self._regexes: dict[int, re.Pattern[str]] = {}
        self._untriggered: list[int] = []
        self._automaton: ahocorasick.Automaton | None = None
        words: dict[str, list[tuple[int, int]]] = {}
        for rank, rule in enumerate(self.rules):
            if rule.match_type == Rule.MatchType.REGEX:
                self._regexes[rank] = re.compile(rule.pattern, re.IGNORECASE)
                triggers = regex_triggers(rule.pattern)
                if triggers is None:
                    self._untriggered.append(rank)
                for word in triggers or ():
                    words.setdefault(word, []).append((rank, _REGEX))
                continue
            word = normalize(rule.pattern)
            if word:
                kind = {
                    Rule.MatchType.CONTAINS: _CONTAINS,
                    Rule.MatchType.STARTS_WITH: _STARTS,
                    Rule.MatchType.EXACT: _EXACT,
                }[Rule.MatchType(rule.match_type)]
                words.setdefault(word, []).append((rank, kind))
        if words:
            automaton = ahocorasick.Automaton()
            for word, entries in words.items():
                automaton.add_word(word, (len(word), tuple(entries)))
            automaton.make_automaton()
            self._automaton = automaton
        self._cache: dict[str, tuple[int, ...]] = {}

    def __len__(self) -> int:
        return len(self.rules)

    def text_ranks(self, text: str) -> tuple[int, ...]:
        """Return the ranks of the rules that may match ``text``, ascending.

        Substring rules in it do match; regex rules in it are candidates that ``match``
        verifies only if they could still win.

        Depends on the text alone (not on organization, field or direction), so it is
        cached: statement lines and merchant names repeat a lot.
        """
        found = self._cache.get(text)
        if found is not None:
            return found
        ranks: set[int] = set()
        if self._automaton is not None:
            folded = normalize(text)
            last = len(folded) - 1
            for end, (length, entries) in self._automaton.iter(folded):
                start = end - length + 1
                for rank, kind in entries:
                    # A regex candidate is only verified if it can still win (``match``).
                    if (
                        kind in (_CONTAINS, _REGEX)
                        or (kind == _STARTS and start == 0)
                        or (kind == _EXACT and start == 0 and end == last)
                    ):
                        ranks.add(rank)
        ranks.update(self._untriggered)
        result = tuple(sorted(ranks))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = result
        return result

    def _allowed(self, rank: int, field: int, organization_id: uuid.UUID | None, sign: int) -> bool:
        owner = self._org[rank]
        if owner is not None and owner != organization_id:
            return False
        if not self._fields[rank] & field:
            return False
        direction = self._direction[rank]
        return direction == 0 or direction == sign

    def match(
        self,
        *,
        organization_id: uuid.UUID | None,
        description: str | None,
        merchant_name: str | None,
        amount: Decimal | int | float,
    ) -> RuleSpec | None:
        """Return the winning rule for one transaction, or None."""
        sign = 1 if amount > 0 else -1 if amount < 0 else 0
        best = len(self.rules)
        for text, field in ((merchant_name, _MERCHANT), (description, _DESCRIPTION)):
            if not text:
                continue
            regexes = self._regexes
            for rank in self.text_ranks(text):
                if rank >= best:
                    break
                if self._allowed(rank, field, organization_id, sign) and (
                    rank not in regexes or regexes[rank].search(text)
                ):
                    best = rank
                    break
        return self.rules[best] if best < len(self.rules) else None

    def match_many(self, rows: Sequence[Any]) -> list[RuleSpec | None]:
        """Return the winning rule of each row (objects with the fields of ``chain.Row``)."""
        match = self.match
        return [
            match(
                organization_id=r.organization_id,
                description=r.description,
                merchant_name=r.merchant_name,
                amount=r.amount,
            )
            for r in rows
        ]
