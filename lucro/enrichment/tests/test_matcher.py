"""The compiled matcher: match types, fields, direction, precedence, case and Unicode."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from lucro.enrichment.matcher import Matcher, RuleSpec

ORG = uuid.uuid4()
OTHER = uuid.uuid4()
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def rule(
    pattern: str,
    *,
    org: uuid.UUID | None = None,
    field: str = "either",
    match_type: str = "contains",
    direction: str = "any",
    priority: int = 50,
    created: int = 0,
    rid: int | None = None,
) -> RuleSpec:
    return RuleSpec(
        id=uuid.UUID(int=rid if rid is not None else hash(pattern) & (2**64 - 1)),
        organization_id=org,
        category_id=uuid.uuid4(),
        pattern=pattern,
        field=field,
        match_type=match_type,
        direction=direction,
        priority=priority,
        created_at=T0 + dt.timedelta(seconds=created),
    )


def winner(
    matcher: Matcher,
    description: str | None = None,
    merchant: str | None = None,
    amount: str = "-10",
    org: uuid.UUID | None = ORG,
) -> str | None:
    spec = matcher.match(
        organization_id=org, description=description, merchant_name=merchant, amount=Decimal(amount)
    )
    return None if spec is None else spec.pattern


@pytest.mark.parametrize(
    ("match_type", "text", "expected"),
    [
        ("contains", "POS AMAZON MKTPLACE", True),
        ("contains", "amazonian", True),
        ("exact", "Amazon", True),
        ("exact", "  AMAZON  ", True),
        ("exact", "Amazon Prime", False),
        ("starts_with", "AMAZON PRIME", True),
        ("starts_with", "WWW AMAZON", False),
    ],
)
def test_match_types(match_type: str, text: str, expected: bool) -> None:
    matcher = Matcher([rule("amazon", match_type=match_type)])
    assert (winner(matcher, text) == "amazon") is expected


def test_regex_rules_are_case_insensitive_and_searched() -> None:
    matcher = Matcher([rule(r"^pos \d{4} uber", match_type="regex")])
    assert winner(matcher, "POS 1234 UBER TRIP") is not None
    assert winner(matcher, "POS UBER TRIP") is None


def test_field_restricts_where_a_pattern_is_looked_for() -> None:
    matcher = Matcher([rule("shell", field="merchant")])
    assert winner(matcher, description="SHELL V-POWER", merchant=None) is None
    assert winner(matcher, description="fuel", merchant="Shell") == "shell"
    by_description = Matcher([rule("shell", field="description")])
    assert winner(by_description, description="x", merchant="Shell") is None


def test_direction_filters_money_in_and_out() -> None:
    matcher = Matcher(
        [
            rule("m-pesa", direction="in", priority=60, rid=1),
            rule("m-pesa", direction="out", priority=50, rid=2),
        ]
    )
    assert matcher.match(
        organization_id=ORG, description="M-PESA", merchant_name=None, amount=Decimal("5")
    ).id == uuid.UUID(int=1)
    assert matcher.match(
        organization_id=ORG, description="M-PESA", merchant_name=None, amount=Decimal("-5")
    ).id == uuid.UUID(int=2)


def test_organization_rule_beats_higher_priority_global_rule() -> None:
    matcher = Matcher([rule("uber", priority=90, rid=1), rule("uber", org=ORG, priority=10, rid=2)])
    assert matcher.match(
        organization_id=ORG, description="UBER", merchant_name=None, amount=-1
    ).id == uuid.UUID(int=2)
    # Another tenant never sees ORG's rule.
    assert matcher.match(
        organization_id=OTHER, description="UBER", merchant_name=None, amount=-1
    ).id == uuid.UUID(int=1)


def test_priority_then_longest_then_oldest_then_id() -> None:
    overlapping = Matcher([rule("uber", priority=50), rule("uber eats", priority=50)])
    assert winner(overlapping, "UBER EATS LAGOS") == "uber eats"
    assert winner(overlapping, "UBER TRIP") == "uber"
    by_priority = Matcher([rule("uber", priority=70), rule("uber eats", priority=50)])
    assert winner(by_priority, "UBER EATS LAGOS") == "uber"
    oldest = Matcher([rule("abc", created=5, rid=1), rule("xyz", created=1, rid=2)])
    assert winner(oldest, "ABC XYZ") == "xyz"
    tie = Matcher([rule("abc", rid=9), rule("xyz", rid=3)])
    assert winner(tie, "ABC XYZ") == "xyz"


def test_regex_and_substring_rules_compete_on_the_same_precedence() -> None:
    matcher = Matcher(
        [rule("airtime", priority=40), rule(r"air\w+ top.?up", match_type="regex", priority=60)]
    )
    assert winner(matcher, "AIRTIME TOPUP 0722") == r"air\w+ top.?up"
    assert winner(matcher, "AIRTIME PURCHASE") == "airtime"


def test_unicode_case_folding() -> None:
    matcher = Matcher([rule("straße"), rule("café nero"), rule("ÉPICERIE")])
    assert winner(matcher, "STRASSE 12 PARKING") == "straße"
    assert winner(matcher, "CAFÉ NERO LONDON") == "café nero"
    assert winner(matcher, "épicerie du coin") == "ÉPICERIE"
    assert winner(matcher, "cafe nero") is None  # accents are not stripped


def test_overlapping_patterns_in_one_text_pick_the_best_rank() -> None:
    matcher = Matcher(
        [
            rule("pay", priority=10),
            rule("paypal", priority=20),
            rule("paypal transfer", priority=30, direction="in"),
        ]
    )
    assert winner(matcher, "PAYPAL TRANSFER", amount="100") == "paypal transfer"
    assert winner(matcher, "PAYPAL TRANSFER", amount="-100") == "paypal"
    assert winner(matcher, "PAYMENT") == "pay"


def test_no_text_and_no_rules_match_nothing() -> None:
    assert winner(Matcher([]), "anything") is None
    assert winner(Matcher([rule("x")]), None, None) is None


@pytest.mark.parametrize(
    ("pattern", "triggers"),
    [
        (r"\bsal\b", {"sal"}),
        (r"\b(trf|tfr|xfer)\b", {"trf", "tfr", "xfer"}),
        (r"\bzesa\b|zetdc", {"zesa", "zetdc"}),
        (r"\bdisney ?(\+|plus)", {"disney"}),
        (r"\bh ?& ?m\b", {"&"}),
        (r"\bmarks (&|and) spencer\b|\bm ?& ?s\b", {"spencer", "&"}),
        (r"\be-mail\b", {"e-mail"}),
        (r"^\d+$", None),
        (r"(?:a|bc)d", None),
        (r"(?<!arab )\bemirates\b(?! nbd)", {"emirates"}),
        # RE2 reads a POSIX class where Python's parser sees a class and then "]cd".
        (r"ab[[:alpha:]]cd", None),
    ],
)
def test_regex_triggers(pattern: str, triggers: set[str] | None) -> None:
    from lucro.enrichment.matcher import regex_triggers

    found = regex_triggers(pattern)
    assert (set(found) if found is not None else None) == triggers


def test_regex_without_trigger_is_still_tried() -> None:
    matcher = Matcher([rule(r"^\d{6}$", match_type="regex")])
    assert winner(matcher, "123456") is not None
    assert winner(matcher, "12345") is None


def test_punctuation_trigger_still_matches_every_spelling() -> None:
    matcher = Matcher([rule(r"\bh ?& ?m\b", match_type="regex")])
    assert winner(matcher, "POS H&M SANDTON") is not None
    assert winner(matcher, "h & m online") is not None
    assert winner(matcher, "HM STORES") is None


def test_a_posix_class_does_not_make_a_false_trigger() -> None:
    matcher = Matcher([rule(r"ab[[:alpha:]]cd", match_type="regex")])
    assert winner(matcher, "ABXCD") is not None


def _naive(
    specs: list[RuleSpec],
    org: uuid.UUID,
    description: str | None,
    merchant: str | None,
    amount: Decimal,
) -> RuleSpec | None:
    """The obvious matcher: every rule in precedence order, every field, no automaton.

    Regexes run on Python's ``re`` here, the engine the rules were tuned on: the RE2 matcher
    must agree with it on every labelled line and its variants.
    """
    import re

    from lucro.enrichment.matcher import normalize, precedence_key

    for spec in sorted(specs, key=precedence_key):
        if spec.organization_id not in (None, org):
            continue
        if (spec.direction == "in" and amount <= 0) or (spec.direction == "out" and amount >= 0):
            continue
        for text, field in ((merchant, "merchant"), (description, "description")):
            if not text or spec.field not in (field, "either"):
                continue
            folded, pattern = normalize(text), normalize(spec.pattern)
            if (
                (spec.match_type == "contains" and pattern and pattern in folded)
                or (spec.match_type == "starts_with" and pattern and folded.startswith(pattern))
                or (spec.match_type == "exact" and folded == pattern)
                or (spec.match_type == "regex" and re.search(spec.pattern, text, re.IGNORECASE))
            ):
                return spec
    return None


def test_compiled_matcher_agrees_with_a_naive_loop_over_the_default_rules() -> None:
    """Every shortcut (triggers, rank tables, the text cache) must change nothing."""
    import csv
    import random

    from lucro.enrichment.defaults import default_rules
    from lucro.enrichment.matcher import Matcher as Compiled

    specs = [
        RuleSpec(
            id=uuid.UUID(int=i + 1),
            organization_id=None,
            category_id=uuid.UUID(int=10_000 + i),
            pattern=d.pattern,
            field=d.field,
            match_type=d.match_type,
            direction=d.direction,
            priority=d.priority,
            created_at=T0 + dt.timedelta(seconds=i),
        )
        for i, d in enumerate(default_rules())
    ]
    # Organization rules that overlap the defaults, for both organizations.
    for i, (pattern, kind) in enumerate(
        [("uber", "contains"), ("pos ", "starts_with"), (r"\bkplc\b", "regex"), ("jumia", "exact")]
    ):
        for owner in (ORG, OTHER):
            specs.append(
                rule(pattern, org=owner, match_type=kind, rid=50_000 + 2 * i + (owner == ORG))
            )
    matcher = Compiled(specs)
    data = Path(__file__).resolve().parents[1] / "data"
    lines = []
    for name in ("eval_labelled.csv", "eval_holdout.csv"):
        with (data / name).open(encoding="utf-8") as handle:
            lines += [
                (r["description"] or None, r["merchant"] or None) for r in csv.DictReader(handle)
            ]
    rng = random.Random(3)
    variants = []
    for description, merchant in lines:
        variants.append((description and description.upper(), merchant))
        variants.append((f"POS {merchant or ''} {rng.randint(0, 999)}", None))
        variants.append((description and "  ".join(description.lower().split()), None))
    for description, merchant in lines + variants:
        for amount, org in ((Decimal("-12.50"), ORG), (Decimal("900"), OTHER)):
            got = matcher.match(
                organization_id=org, description=description, merchant_name=merchant, amount=amount
            )
            want = _naive(specs, org, description, merchant, amount)
            assert got == want, (description, merchant, amount, got, want)
