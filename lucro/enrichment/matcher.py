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

A matcher built with ``statement_lines=True`` (the rule enricher's) also reads statement
lines the way a person does. On a row that matched nothing as written, it matches the line
without its bank boilerplate (``normalise.statement_line``) and the merchant part of a card
line as the merchant when the row has none, and then, if still nothing matches, a last word
of at least ``TRUNCATED_MIN`` letters as the cut-off start of a rule's word (``…PHARMAC`` →
pharmacy). A row that any rule matched as written is never re-read: a cut-off last word
after a catch-all ("TRANSFER FROM ROBERT") is as likely a person's name as a merchant.
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
from lucro.enrichment.normalise import StatementLine, statement_line
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
# Banks cut merchant names at 16–25 characters; a cut-off last word shorter than this is
# too ambiguous to complete ("phar" could be many things, "pharmac" is one).
TRUNCATED_MIN = 5
# A regex that is only a literal between word boundaries (``\bspar\b``) can be completed
# from a truncated line like a substring rule; any other regex cannot.
_PLAIN_REGEX = re.compile(r"\\b([A-Za-z][A-Za-z0-9 &'.-]*[A-Za-z])(?:\\b)?")


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


def truncations(word: str) -> list[str]:
    """Return the cut-off forms of ``word`` a truncated statement line may end with.

    A cut falls inside a word of ``word`` and leaves at least ``TRUNCATED_MIN`` letters of
    it: "clicks pharmacy" gives "clicks pharm", "clicks pharma", "clicks pharmac" (and its
    last word alone is indexed by the rule "pharmacy" if there is one).
    """
    forms = []
    start = 0
    for cut in range(1, len(word)):
        if word[cut - 1] == " ":
            start = cut
        elif word[cut].isalpha() and word[cut - 1].isalpha() and cut - start >= TRUNCATED_MIN:
            forms.append(word[:cut])
    return forms


class Matcher:
    """All active rules compiled for matching; immutable once built."""

    def __init__(
        self, specs: Iterable[RuleSpec], version: int = 0, *, statement_lines: bool = False
    ) -> None:
        self.version = version
        self.statement_lines = statement_lines
        compiled = _compiled(specs)
        self.rules: list[RuleSpec] = [spec for spec, _ in compiled]
        self._org = [r.organization_id for r in self.rules]
        self._fields = [_FIELD_MASK[Rule.Field(r.field)] for r in self.rules]
        self._direction = [_DIRECTION[Rule.Direction(r.direction or "any")] for r in self.rules]
        self._regexes: dict[int, Regex] = {}
        self._untriggered: list[int] = []
        self._automaton: ahocorasick.Automaton | None = None
        words: dict[str, list[tuple[int, int]]] = {}
        # Cut-off form -> (rank, may it start anywhere?): only consulted when nothing matched.
        self._truncated: dict[str, list[tuple[int, bool]]] = {}
        self._truncated_last: set[str] = set()
        for rank, (rule, regex) in enumerate(compiled):
            if statement_lines:
                self._index_truncations(rank, rule)
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
        self._lines: dict[str, StatementLine] = {}
        # Per (field, sign), one byte per rank (see ``_verdict``): one lookup replaces three
        # checks per candidate.
        self._allowed_by: dict[tuple[int, int], bytes] = {
            (field, sign): bytes(self._verdict(rank, field, sign) for rank in range(len(self)))
            for field in (_MERCHANT, _DESCRIPTION)
            for sign in (-1, 0, 1)
        }

    def _index_truncations(self, rank: int, rule: RuleSpec) -> None:
        if rule.match_type == Rule.MatchType.REGEX:
            plain = _PLAIN_REGEX.fullmatch(rule.pattern)
            if plain is None:
                return
            word, anywhere = normalize(plain[1]), True
        else:
            word, anywhere = normalize(rule.pattern), rule.match_type == Rule.MatchType.CONTAINS
        for form in truncations(word):
            self._truncated.setdefault(form, []).append((rank, anywhere))
            self._truncated_last.add(form[form.rfind(" ") + 1 :])

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
        unmatched = len(self.rules)
        texts = ((merchant_name, _MERCHANT), (description, _DESCRIPTION))
        best = self._best_rank(organization_id, sign, texts, unmatched)
        if self.statement_lines and best == unmatched:
            best = self._statement_rank(organization_id, sign, description, merchant_name)
        return best if best < unmatched else -1

    def _best_rank(
        self,
        organization_id: uuid.UUID | None,
        sign: int,
        texts: Iterable[tuple[str | None, int]],
        best: int,
    ) -> int:
        """Return the better of ``best`` and the best rank matching one of ``texts``."""
        regexes = self._regexes
        owners = self._org
        for text, field in texts:
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
        return best

    def statement_line(self, text: str) -> StatementLine:
        """Return ``normalise.statement_line(text)``, memoised (lines and merchants repeat)."""
        line = self._lines.get(text)
        if line is None:
            if len(self._lines) >= _CACHE_LIMIT:
                self._lines.clear()
            line = self._lines[text] = statement_line(text)
        return line

    def _statement_rank(
        self,
        organization_id: uuid.UUID | None,
        sign: int,
        description: str | None,
        merchant_name: str | None,
    ) -> int:
        """Return the best rank of a row that matched nothing as written (see module)."""
        best = len(self.rules)
        # Only a description the normaliser changed is worth another pass; an unchanged one
        # may still end in a cut-off word. Merchant names come cleaned by the aggregator
        # (and repeat): folding them for the truncated-word check is enough.
        texts: list[tuple[str, int]] = []
        tails: list[tuple[str, int]] = []
        if merchant_name and self._may_be_cut_off(merchant_name):
            tails.append((normalize(merchant_name), _MERCHANT))
        if description:
            line = self.statement_line(description)
            (texts if line.changed else tails).append((line.text, _DESCRIPTION))
            if not merchant_name and line.merchant:
                # A card line's merchant part stands in for the missing merchant name, so
                # merchant-only rules (``costa``, exact) can see it.
                texts.append((line.merchant, _MERCHANT))
        if texts:
            best = self._best_rank(organization_id, sign, texts, best)
        if best == len(self.rules) and self._truncated:
            best = self._truncated_rank(organization_id, sign, texts + tails, best)
        return best

    def _may_be_cut_off(self, text: str) -> bool:
        """Return whether ``text``'s last word is some rule's cut-off word (a cheap test)."""
        words = text.rsplit(None, 1)
        return bool(words) and words[-1].casefold() in self._truncated_last

    def _truncated_rank(
        self,
        organization_id: uuid.UUID | None,
        sign: int,
        texts: Iterable[tuple[str, int]],
        best: int,
    ) -> int:
        """Return the best rule whose word the end of a text is a cut-off start of."""
        owners = self._org
        for text, field in texts:
            # Most last words are no rule's cut-off word: one set lookup settles them.
            if text[text.rfind(" ") + 1 :] not in self._truncated_last:
                continue
            allowed = self._allowed_by[field, sign]
            # Only from the start of a word: a truncated brand keeps its word boundary.
            starts = [0, *(i + 1 for i, char in enumerate(text) if char == " ")]
            for start in starts:
                for rank, anywhere in self._truncated.get(text[start:], ()):
                    verdict = allowed[rank]
                    if (
                        rank < best
                        and (anywhere or start == 0)
                        and verdict
                        and (verdict == 1 or owners[rank] == organization_id)
                    ):
                        best = rank
        return best

    def match_many(self, rows: Sequence[Any]) -> list[int]:
        """Return the winning rule's rank for each row (objects with ``chain.Row``'s fields),
        -1 where no rule matches."""
        match = self.match_rank
        return [match(r.organization_id, r.description, r.merchant_name, r.amount) for r in rows]
