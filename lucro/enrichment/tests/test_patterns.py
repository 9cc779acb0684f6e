"""The rule regex engine (RE2): its dialect, the lookaround it rewrites, the triggers."""

from __future__ import annotations

import itertools
import random
import re
import time
import warnings

import pytest
import re2

from lucro.enrichment.matcher import normalize, regex_triggers
from lucro.enrichment.patterns import PatternRefused, Regex, rule_pattern_check

EMIRATES = r"(?<!arab )\bemirates\b(?! nbd)"  # a default rule


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+$", "(.*a){20}", "(x+x+)+y"])
def test_catastrophic_patterns_take_linear_time(pattern: str) -> None:
    regex = Regex(pattern)
    for char in "ax":
        started = time.perf_counter()
        regex.search(char * 200_000 + "!")
        assert time.perf_counter() - started < 0.5


def test_search_agrees_with_the_public_re2_api() -> None:
    """``Regex`` calls RE2's object directly (for speed): it must answer as ``re2.search``."""
    options = re2.Options()
    options.case_sensitive = False
    patterns = [r"\bm-?pesa\b", r"^pos \d{4}", "(a+)+$", r"uber\W*eats", r"\bcafé\b", "x$"]
    texts = ["M-PESA paybill", "POS 1234 UBER", "aaaa", "UBER  EATS", "CAFÉ", "ax\n", "", "é"]
    for pattern, text in itertools.product(patterns, texts):
        assert Regex(pattern).search(text) is bool(re2.search(pattern, text, options)), (
            pattern,
            text,
        )


def test_a_lone_surrogate_in_the_text_is_no_error() -> None:
    # Valid in a JSON string, not encodable as UTF-8: RE2 sees the bytes Python would have.
    assert Regex("ab").search("x\ud800ab") is True
    assert Regex("xy").search("x\ud800y") is False


def test_the_dialect_is_re2s() -> None:
    """What docs/enrichment.md says differs from Python's ``re``."""
    assert Regex(r"\bsal\b").search("ÉSAL")  # \b is ASCII: "É" is not a word character
    assert not Regex(r"\d").search("٣")  # \d is ASCII; \p{Nd} is every decimal digit
    assert Regex(r"\p{Nd}").search("٣")
    assert not Regex("x$").search("x\n")  # $ is the very end
    assert Regex(r"x\z").search("x")
    assert Regex("STRASSE").search("strasse")  # case-insensitive


@pytest.mark.parametrize(
    "pattern",
    [r"(a)\1", "(?=a)", "(?<=a)b", "a(?!b)c", "(?!b)a", "(?<!x)a|b", "(?<!a.)b", r"a\Z"],
)
def test_patterns_re2_cannot_run_are_refused_by_name(pattern: str) -> None:
    with pytest.raises(PatternRefused) as info:
        Regex(pattern)
    assert f"`{pattern}`" in str(info.value)


def test_the_length_limit_applies_to_every_match_type(settings: object) -> None:
    settings.RULE_PATTERN_MAX_LENGTH = 10  # type: ignore[attr-defined]
    rule_pattern_check("a" * 10, "contains")
    for match_type in ("contains", "regex"):
        with pytest.raises(PatternRefused, match="RULE_PATTERN_MAX_LENGTH"):
            rule_pattern_check("a" * 11, match_type)
    with pytest.raises(PatternRefused):
        rule_pattern_check("(a", "regex")
    rule_pattern_check("(a", "contains")  # a substring, not a regex


def test_the_default_lookaround_rule_matches_exactly_where_python_did() -> None:
    """Every text of up to three pieces: RE2's rewrite against Python's lookaround (with
    ASCII word boundaries, RE2's)."""
    python = re.compile(EMIRATES, re.IGNORECASE | re.ASCII)
    regex = Regex(EMIRATES)
    pieces = ["arab ", "ARAB ", "emirates", "Emirates", " nbd", " NBD", "a", "b", " ", "n"]
    pieces += ["d", "x", "\n", "_", "-", "rab", "nb", "arab", "emirates nbd"]
    for count in range(4):
        for combo in itertools.product(pieces, repeat=count):
            text = "".join(combo)
            assert regex.search(text) is bool(python.search(text)), text


def test_lookaround_rewrites_match_exactly_where_python_does() -> None:
    """Random patterns ``(?<!x)…(?!y)``: the rewrite is exact, or the pattern is refused
    (a top-level ``|``: the lookaround would guard one alternative only)."""
    rng = random.Random(5)
    core = ["a", "b", "ab", "x", r"\b", "(a|b)", "[ab]", "a+", "b*", "a?", "(?:ab|x)", "^"]
    core += [".", "[^a]", r"\w", r"\s", " ", "(x)", "[|]", r"\|", "a{2}", "$"]
    bodies = ["a", "b", "ab", "ba", "x", " ", "a b", "é", "-", "aa"]
    alphabet = ["a", "b", "x", " ", "\n", "é", "A", "B", "-", "ab"]
    compared = 0
    for _ in range(1500):
        middle = "".join(rng.choice(core) for _ in range(rng.randint(0, 4)))
        if rng.random() < 0.2:
            middle += "|" + rng.choice(core)
        pattern = (
            (f"(?<!{rng.choice(bodies)})" if rng.random() < 0.7 else "")
            + middle
            + (f"(?!{rng.choice(bodies)})" if rng.random() < 0.7 else "")
        )
        try:
            # $ before a final newline is Python's alone; \Z is RE2's \z.
            python = re.compile(pattern.replace("$", r"\Z"), re.IGNORECASE | re.ASCII)
        except re.error:
            continue
        try:
            regex = Regex(pattern)
        except PatternRefused:
            assert "|" in middle and ("(?<!" in pattern or "(?!" in pattern), pattern
            continue
        for _ in range(20):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
            assert regex.search(text) is bool(python.search(text)), (pattern, text)
            compared += 1
    assert compared > 10_000


def test_triggers_never_hide_an_re2_match() -> None:
    """Triggers come from Python's parser, matches from RE2: where the dialects part, a
    trigger must be missing (always try the regex), never wrong."""
    rng = random.Random(1)
    tokens = ["ab", "cd", "&", "x", "-", "]", "[", "[a-c]", "[[:alpha:]]", "[[:^digit:]]"]
    tokens += ["[]a]", "[^]a]", r"\pL", r"\Q]x\E", r"\z", "(?U)", "(?i)", "{,2}", "(", ")"]
    tokens += ["(?:", "|", "?", "*", "+", "{2}", r"\b", "^", "$", ".", r"\]", "{", "1", "A"]
    tokens += [" ", r"\d", r"\w", "(?-i:", "[:", "[[", "&&", "--", "(?<!a)", "(?!b)"]
    alphabet = [*"abcdxAB&-][:1 {},.\n", "ab", "cd", "x]", "]x", "[:alpha:]"]
    with_triggers = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Python's "possible nested set" on "[["
        for _ in range(6000):
            pattern = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 7)))
            try:
                regex = Regex(pattern)
            except PatternRefused:
                continue
            triggers = regex_triggers(pattern)
            if triggers is None:
                continue
            with_triggers += 1
            for _ in range(20):
                text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
                if regex.search(text):
                    assert any(t in normalize(text) for t in triggers), (pattern, text)
    assert with_triggers > 500
