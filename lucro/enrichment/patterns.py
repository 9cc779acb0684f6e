"""Rule patterns: the one regex engine rules run on, and what a rule may store.

Every regex rule, global or an organization's own, runs in every web and worker process,
so a pattern must never cost more than time linear in the text. Python's ``re`` backtracks:
``(a+)+$`` against 27 a's and a ``!`` took 10 s in a web worker, holding the GIL, and
neither gunicorn's other threads nor Celery's soft time limit got a word in. RE2 (through
``google-re2``) compiles a pattern to an automaton and matches in ``O(text × pattern)``
whatever the pattern; it refuses what an automaton cannot do (backreferences, lookaround),
and those are refused when a rule is written.

The dialect is RE2's (https://github.com/google/re2/wiki/Syntax), searched anywhere in the
text, case-insensitively, plus one form of lookaround that an automaton can do: a negative
lookbehind of plain text at the very start and a negative lookahead of plain text at the
very end (``(?<!arab )\\bemirates\\b(?! nbd)``, a default rule), rewritten into plain RE2
(``_lookaround_rewrite``). Where it differs from Python's ``re``: ``\\b``, ``\\w``, ``\\d``
and ``\\s`` are ASCII-only (``\\pL``, ``\\p{Nd}`` name Unicode classes), ``$`` matches
only at the very end (not before a final newline), and ``\\Z`` is spelled ``\\z``.
"""

from __future__ import annotations

import re2
from django.conf import settings

from lucro.enrichment.models import Rule

# The underlying RE2 object's ``Match``, not ``re2.compile(...).search``: the public search
# re-encodes the text and builds a match object with str offsets, ≈ 2.9 µs per call against
# ≈ 0.7 µs here (measured on a default rule), and the matcher only needs a yes or no.
_RE2 = re2._re2.RE2
_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED
# RE2's memory budget per compiled pattern (program and DFA cache; the library's default is
# 8 MiB). Every process holds every organization's regex rules, so the budget bounds what a
# tenant's rules can cost a worker; a pattern whose program alone does not fit (e.g.
# ``[\pL\pN]{100}``) is refused, and a DFA that outgrows its cache falls back to RE2's
# slower but still linear NFA. Each default rule needs a few KiB.
_MAX_MEM = 1 << 20
# How much of a refused pattern a message quotes.
_QUOTE = 80
# What the body of a supported lookaround may hold: text without regex metacharacters.
_METACHARACTERS = frozenset("\\.^$|?*+()[]{}")
_ANY = "(?s:.)"  # one character, newline included


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.never_capture = True  # only "does it match": no submatch bookkeeping
    options.log_errors = False  # a refused pattern is the caller's error, not a log line
    options.max_mem = _MAX_MEM
    return options


_OPTIONS = _options()


def pattern_quoted(pattern: str) -> str:
    """Return ``pattern`` quoted for a message (backticks; cut after 80 characters)."""
    # Not repr(): repr doubles every backslash, and JSON doubles them again.
    return f"`{pattern if len(pattern) <= _QUOTE else pattern[:_QUOTE] + '…'}`"


def _class_end(pattern: str, index: int) -> int:
    """Return the index after the character class that opens at ``index``."""
    index += 1
    if pattern.startswith("^", index):
        index += 1
    if pattern.startswith("]", index):  # a "]" first in a class is a literal
        index += 1
    while index < len(pattern):
        if pattern[index] == "\\":
            index += 2
            continue
        if pattern.startswith("[:", index):  # a POSIX class, [:alpha:]
            end = pattern.find(":]", index + 2)
            if end >= 0:
                index = end + 2
                continue
        if pattern[index] == "]":
            return index + 1
        index += 1
    return index


def _has_top_level_alternation(pattern: str) -> bool:
    """Return whether a valid RE2 pattern has a ``|`` outside every group (escapes,
    ``\\Q…\\E`` and character classes skipped)."""
    depth = index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("\\Q", index):
            end = pattern.find("\\E", index + 2)
            index = len(pattern) if end < 0 else end + 2
            continue
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(pattern, index)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        index += 1
    return False


def _plain(text: str) -> bool:
    return bool(text) and not _METACHARACTERS.intersection(text)


def _literal(text: str) -> str:
    return str(re2.escape(text))


def _other_than(char: str) -> str:
    # By code point unless a letter or digit: no escaping rules of a class to get wrong.
    code = f"{ord(char):x}"
    return f"[^{char}]" if char.isascii() and char.isalnum() else rf"[^\x{{{code}}}]"


def _not_preceded_by(text: str) -> str:
    """Return RE2 for "the next character is not preceded by ``text``": the start of the
    text with fewer characters before it, or the ``len(text)`` characters before it with a
    first difference at some place."""
    k = len(text)
    options = [rf"\A{_ANY}{{0,{k - 1}}}" if k > 1 else r"\A"]
    for i in range(k):
        rest = f"{_ANY}{{{k - 1 - i}}}" if k - 1 - i else ""
        options.append(_literal(text[:i]) + _other_than(text[i]) + rest)
    return f"(?:{'|'.join(options)})"


def _not_followed_by(text: str) -> str:
    """Return RE2 for "not followed by ``text``": the end within ``len(text) - 1``
    characters, or a first difference at some place."""
    k = len(text)
    options = [rf"{_ANY}{{0,{k - 1}}}\z" if k > 1 else r"\z"]
    options += [_literal(text[:i]) + _other_than(text[i]) for i in range(k)]
    return f"(?:{'|'.join(options)})"


def _lookaround_rewrite(pattern: str) -> str:
    """Return ``pattern`` with a leading ``(?<!text)`` and a trailing ``(?!text)`` rewritten
    into plain RE2 that matches exactly where Python's ``re`` would; any other pattern as it is
    (for RE2 to refuse if it holds any other lookaround).

    What they guard must be a valid pattern on its own, without a top-level ``|``:
    ``(?<!x)a|b`` guards ``a`` alone, and is refused rather than guessed at.
    """
    before = after = ""
    start, end = 0, len(pattern)
    if pattern.startswith("(?<!"):
        close = pattern.find(")", 4)
        if close > 4 and _plain(pattern[4:close]):
            before, start = pattern[4:close], close + 1
    tail = pattern.rfind("(?!")
    if tail >= start and pattern.endswith(")") and _plain(pattern[tail + 3 : -1]):
        after, end = pattern[tail + 3 : -1], tail
    if not before and not after:
        return pattern
    core = pattern[start:end]
    if not _RE2(core.encode("utf-8"), _OPTIONS).ok() or _has_top_level_alternation(core):
        return pattern
    return (
        (_not_preceded_by(before) if before else "")
        + f"(?:{core})"
        + (_not_followed_by(after) if after else "")
    )


class PatternRefused(ValueError):
    """A pattern that a rule may not hold; ``str()`` names the pattern and the reason."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"The pattern {pattern_quoted(pattern)} is refused: {reason}.")
        self.pattern = pattern
        self.reason = reason


class Regex:
    """A rule regex compiled by RE2: case-insensitive search, linear in the text."""

    __slots__ = ("_match", "pattern")

    def __init__(self, pattern: str) -> None:
        """Compile ``pattern``; raise ``PatternRefused`` if RE2 cannot."""
        try:
            compiled = _RE2(_lookaround_rewrite(pattern).encode("utf-8"), _OPTIONS)
        except UnicodeEncodeError as exc:
            raise PatternRefused(pattern, "it is not valid Unicode text") from exc
        if not compiled.ok():
            error = compiled.error().decode("utf-8", "replace")
            raise PatternRefused(
                pattern,
                f"{error} (rule regexes use the RE2 syntax, which matches in linear time: "
                "no backreferences, no lookaround but a plain-text (?<!…) at the very start "
                "and (?!…) at the very end, and a bounded size)",
            )
        self.pattern = pattern
        self._match = compiled.Match

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r})"

    def search(self, text: str) -> bool:
        """Return whether the pattern matches anywhere in ``text``."""
        # "surrogatepass": a lone surrogate (valid in a JSON string) becomes bytes that are
        # not UTF-8, which RE2 matches to nothing, instead of an exception.
        data = text.encode("utf-8", "surrogatepass")
        return bool(self._match(_UNANCHORED, data, 0, len(data))[0][0] >= 0)


def rule_pattern_check(pattern: str, match_type: str) -> None:
    """Raise ``PatternRefused`` unless a rule may hold ``pattern`` with ``match_type``.

    Shared by the API and the admin, so that no path stores what the matcher would refuse.
    """
    limit = settings.RULE_PATTERN_MAX_LENGTH
    if len(pattern) > limit:
        raise PatternRefused(
            pattern,
            f"it is {len(pattern)} characters long; the limit is {limit} (RULE_PATTERN_MAX_LENGTH)",
        )
    if match_type == Rule.MatchType.REGEX:
        Regex(pattern)
