"""The compiled rule matcher: every active rule in one Aho-Corasick automaton.

Substring rules (contains / exact / starts_with) share one automaton over case-folded text,
so matching costs one pass over a transaction's text whatever the number of rules. Regex
rules are compiled once, by RE2 (``patterns.Regex``: linear time, whoever wrote the
pattern), and tried only on texts where the automaton found one of their required literals
(``regex_triggers``: ``\\b(trf|xfer)\\b`` is tried only where "trf" or "xfer" occurs), so
hundreds of regex rules cost little more than substring ones.

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
import structlog

from lucro.enrichment.models import Rule
from lucro.enrichment.patterns import PatternRefused, Regex

logger = structlog.get_logger(__name__)

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
        # ASCII letters, digits and punctuation: case-folding and whitespace collapsing
        # leave them as they are, so a literal run of them occurs in the folded text too.
        if char and char.isascii() and char.isprintable() and not char.isspace():
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


def _usable(literal: str) -> bool:
    # One letter or digit occurs in nearly every text; one "&" or "+" in few.
    return len(literal) >= 2 or not literal.isalnum()


def _best_factor(items: Any) -> frozenset[str] | None:
    usable = [f for f in _factors(items) if all(_usable(s) for s in f)]
    return max(usable, key=lambda f: (min(len(s) for s in f), -len(f)), default=None)


def regex_triggers(pattern: str) -> frozenset[str] | None:
    """Return literals at least one of which occurs (case-folded) wherever ``pattern`` matches.

    Only ASCII letters, digits and punctuation are taken, so folding the text cannot change
    them; a single letter or digit is too common to be worth a trigger. A regex
    with triggers is tried only on texts where the automaton found one; None means "always
    try it" (no usable literal).
    """
    if "[:" in pattern:
        # RE2 reads ``[[:alpha:]]`` as one class; Python's parser reads a class then a literal
        # "]", which would make "]" a trigger that RE2's matches need not contain. The rest of
        # RE2's own syntax (``\\pL``, ``\\Q…\\E``, ``\\z``, ``(?U)``) is an error to Python.
        return None
    try:
        return _best_factor(_parser.parse(pattern))
    except (re.error, RecursionError):
        return None


def _compiled(specs: Iterable[RuleSpec]) -> list[tuple[RuleSpec, Regex | None]]:
    """Return the rules that can run, in precedence order, each with its compiled regex.

    A stored regex that RE2 refuses (written before rules were checked against it) is left
    out and logged: one bad row must not stop every worker from compiling the others.
    """
    usable: list[tuple[RuleSpec, Regex | None]] = []
    for spec in specs:
        regex = None
        if spec.match_type == Rule.MatchType.REGEX:
            try:
                regex = Regex(spec.pattern)
            except PatternRefused as exc:
                logger.warning("rule_skipped", rule_id=str(spec.id), reason=str(exc))
                continue
        usable.append((spec, regex))
    return sorted(usable, key=lambda pair: precedence_key(pair[0]))


class Matcher:
    """All active rules compiled for matching; immutable once built."""

    def __init__(self, specs: Iterable[RuleSpec], version: int = 0) -> None:
        self.version = version
        compiled = _compiled(specs)
        self.rules: list[RuleSpec] = [spec for spec, _ in compiled]
        self._org = [r.organization_id for r in self.rules]
        self._fields = [_FIELD_MASK[Rule.Field(r.field)] for r in self.rules]
        self._direction = [_DIRECTION[Rule.Direction(r.direction or "any")] for r in self.rules]
        self._regexes: dict[int, Regex] = {}
        self._untriggered: list[int] = []
        self._automaton: ahocorasick.Automaton | None = None
        words: dict[str, list[tuple[int, int]]] = {}
        for rank, (rule, regex) in enumerate(compiled):
            if regex is not None:
                self._regexes[rank] = regex
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
                # Split by where the word must sit, so a hit costs one set update per kind:
                # anywhere (contains, regex candidates), at the start, or the whole text.
                anywhere = tuple(r for r, k in entries if k in (_CONTAINS, _REGEX))
                starts = tuple(r for r, k in entries if k == _STARTS)
                exact = tuple(r for r, k in entries if k == _EXACT)
                automaton.add_word(word, (len(word) - 1, anywhere, starts, exact))
            automaton.make_automaton()
            self._automaton = automaton
        self._cache: dict[str, tuple[int, ...]] = {}
        # Per (field, sign), one byte per rank (see ``_verdict``): one lookup replaces three
        # checks per candidate.
        self._allowed_by: dict[tuple[int, int], bytes] = {
            (field, sign): bytes(self._verdict(rank, field, sign) for rank in range(len(self)))
            for field in (_MERCHANT, _DESCRIPTION)
            for sign in (-1, 0, 1)
        }

    def _verdict(self, rank: int, field: int, sign: int) -> int:
        """0: the rule never applies here; 1: it applies; 2: only to its own organization."""
        if not self._fields[rank] & field or self._direction[rank] not in (0, sign):
            return 0
        return 1 if self._org[rank] is None else 2

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
        ranks: set[int] = set(self._untriggered)
        if self._automaton is not None:
            folded = normalize(text)
            last = len(folded) - 1
            # ``end - span == 0``: the word starts the text; with ``end == last`` it is all of it.
            for end, (span, anywhere, starts, exact) in self._automaton.iter(folded):
                ranks.update(anywhere)
                if end == span:
                    ranks.update(starts)
                    if end == last:
                        ranks.update(exact)
        result = tuple(sorted(ranks))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = result
        return result

    def match(
        self,
        *,
        organization_id: uuid.UUID | None,
        description: str | None,
        merchant_name: str | None,
        amount: Decimal | int | float,
    ) -> RuleSpec | None:
        """Return the winning rule for one transaction, or None."""
        rank = self.match_rank(organization_id, description, merchant_name, amount)
        return self.rules[rank] if rank >= 0 else None

    def match_rank(
        self,
        organization_id: uuid.UUID | None,
        description: str | None,
        merchant_name: str | None,
        amount: Decimal | int | float,
    ) -> int:
        """Return the rank (index in ``rules``) of the winning rule, or -1."""
        sign = 1 if amount > 0 else -1 if amount < 0 else 0
        best = len(self.rules)
        regexes = self._regexes
        owners = self._org
        for text, field in ((merchant_name, _MERCHANT), (description, _DESCRIPTION)):
            if not text:
                continue
            allowed = self._allowed_by[field, sign]
            for rank in self.text_ranks(text):
                if rank >= best:
                    break
                verdict = allowed[rank]
                if (
                    verdict
                    and (verdict == 1 or owners[rank] == organization_id)
                    and (rank not in regexes or regexes[rank].search(text))
                ):
                    best = rank
                    break
        return best if best < len(self.rules) else -1

    def match_many(self, rows: Sequence[Any]) -> list[int]:
        """Return the winning rule's rank for each row (objects with ``chain.Row``'s fields),
        -1 where no rule matches."""
        match = self.match_rank
        return [match(r.organization_id, r.description, r.merchant_name, r.amount) for r in rows]
