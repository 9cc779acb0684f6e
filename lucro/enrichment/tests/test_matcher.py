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


# Statement lines (issue 12): the normaliser, truncated words, joined brands.


def statement_winner(
    specs: list[RuleSpec], description: str, merchant: str | None = None
) -> str | None:
    return winner(Matcher(specs, statement_lines=True), description, merchant)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CLICKS PHARMAC", "pharmacy"),
        ("POS PURCHASE GREENACRES PHARMA 05/10", "pharmacy"),
        ("KWIKSPAR SUPERMAR", "supermarket"),
        ("MAMA NJERI RESTAURA", "restaurant"),
        ("POS PURCHASE MUGG AND BEAN RESTAU CARD 1234", "restaurant"),
    ],
)
def test_a_word_cut_off_at_the_end_of_a_line_still_matches(line: str, expected: str) -> None:
    specs = [rule("pharmacy"), rule("supermarket"), rule("restaurant")]
    assert statement_winner(specs, line) == expected
    # The strict matcher (the default) does not read statement lines.
    assert winner(Matcher(specs), line) is None


@pytest.mark.parametrize(
    "line",
    [
        "CLICKS PHAR",  # four letters: too short to complete
        "CLICKS PHARMACIES",  # not a prefix: the whole word differs
        "CLICKS PHARMAC MENLYN",  # the cut-off word must end the (normalised) line
        "CLICKS XPHARMAC",  # a cut-off word keeps its word boundary
        "PHARMAC CLICKS",  # only the last word can have been cut
    ],
)
def test_truncation_needs_a_long_last_word_at_a_word_boundary(line: str) -> None:
    assert statement_winner([rule("pharmacy")], line) is None


def test_truncation_completes_multi_word_patterns_and_plain_regexes() -> None:
    specs = [rule("clicks pharmacy", priority=60), rule(r"\bsupermarket\b", match_type="regex")]
    assert statement_winner(specs, "POS CLICKS PHARMA") == "clicks pharmacy"
    assert statement_winner(specs, "SHOPRITE SUPERMARK") == r"\bsupermarket\b"


def test_truncation_respects_match_type_field_direction_and_owner() -> None:
    starts = [rule("supermarket", match_type="starts_with")]
    assert statement_winner(starts, "SUPERMAR") == "supermarket"
    assert statement_winner(starts, "KWIKSPAR SUPERMAR") is None
    merchant_only = [rule("pharmacy", field="merchant")]
    assert statement_winner(merchant_only, "CLICKS PHARMAC") is None
    assert statement_winner(merchant_only, "", "Clicks Pharmac") == "pharmacy"
    incoming = Matcher([rule("pharmacy", direction="in")], statement_lines=True)
    assert winner(incoming, "CLICKS PHARMAC", amount="-5") is None
    other = Matcher([rule("pharmacy", org=OTHER)], statement_lines=True)
    assert winner(other, "CLICKS PHARMAC") is None


def test_truncation_is_a_last_resort() -> None:
    # A line that matches a rule as written is not re-read as truncated.
    specs = [rule("clicks", priority=40), rule("pharmacy", priority=90)]
    assert statement_winner(specs, "CLICKS PHARMAC") == "clicks"


def test_joined_store_formats_match_the_brand_without_loosening_word_boundaries() -> None:
    specs = [rule(r"\bspar\b", match_type="regex"), rule(r"\bpnp\b", match_type="regex")]
    assert statement_winner(specs, "SPAREXPRESS MENLYN") == r"\bspar\b"
    assert statement_winner(specs, "POS PURCHASE PNPMINI 05/10") == r"\bpnp\b"
    assert statement_winner(specs, "CHECKERSHYPER") is None
    # Elsewhere the boundary still holds.
    assert statement_winner(specs, "SPARKLING WATERS") is None
    assert statement_winner(specs, "SPARROW LTD") is None


def test_a_card_lines_merchant_part_stands_in_for_a_missing_merchant() -> None:
    specs = [rule("costa", field="merchant", match_type="exact")]
    assert statement_winner(specs, "POS PURCHASE COSTA 05/10 CARD 1234") == "costa"
    # Not when the row has its own merchant name, nor for a line that is no card line.
    assert statement_winner(specs, "POS PURCHASE COSTA 05/10", "Costa Rica Tours") is None
    assert statement_winner(specs, "COSTA") is None


def test_a_line_matched_as_written_is_not_normalised() -> None:
    specs = [rule("pos ", priority=10), rule("shoprite", match_type="exact")]
    # "pos " matched the raw line: it stands, even below the catch-all threshold.
    assert statement_winner(specs, "POS PURCHASE SHOPRITE 05/10") == "pos "
    assert statement_winner(specs[1:], "POS PURCHASE SHOPRITE 05/10") == "shoprite"


def test_a_catch_all_match_is_not_re_read_as_truncated() -> None:
    # "robert" could be the cut-off start of "robertsons"; after "transfer" it is a person.
    specs = [rule("transfer", priority=10), rule("robertsons")]
    assert statement_winner(specs, "TRANSFER FROM ROBERT") == "transfer"
    assert statement_winner(specs[1:], "PAYMENT ROBERT") == "robertsons"


def test_fee_lines_that_name_a_merchant_are_fees() -> None:
    specs = [
        rule("spotify", priority=55),
        rule(r"\buber\b", match_type="regex"),
        rule(r"\b(foreign|int'?l) (txn )?fees?\b", match_type="regex", priority=85),
        rule(r"\bcard fees?\b", match_type="regex", priority=85),
    ]
    matcher = Matcher(specs, statement_lines=True)
    assert winner(matcher, "FOREIGN TXN FEE: SPOTIFY", "Spotify") == specs[2].pattern
    assert winner(matcher, "CARD FEE - UBER") == specs[3].pattern
    assert winner(matcher, "UBER TRIP HELP.UBER.COM") == r"\buber\b"


def test_statement_reading_never_overrides_a_decisive_plain_match() -> None:
    """On every labelled line and card-line variants, a line matched as written keeps its
    winner; other lines may only gain."""
    import csv
    import random

    from lucro.enrichment.defaults import default_rules

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
    plain, reading = Matcher(specs), Matcher(specs, statement_lines=True)
    data = Path(__file__).resolve().parents[1] / "data"
    with (data / "eval_labelled.csv").open(encoding="utf-8") as handle:
        lines = [(r["description"] or None, r["merchant"] or None) for r in csv.DictReader(handle)]
    rng = random.Random(5)
    for description, merchant in list(lines):
        lines.append((f"POS PURCHASE {description} {rng.randint(1, 28):02d}/10 CARD 1234", None))
        lines.append((f"{(description or merchant or '')[:18]}", None))
    gained = 0
    for description, merchant in lines:
        for amount in (Decimal("-12.50"), Decimal("900")):
            before = plain.match(
                organization_id=ORG, description=description, merchant_name=merchant, amount=amount
            )
            after = reading.match(
                organization_id=ORG, description=description, merchant_name=merchant, amount=amount
            )
            if before is not None:
                assert after == before, (description, merchant, amount, before, after)
            elif after is not None:
                gained += 1
    assert gained > 0


def test_a_number_after_the_cut_off_word_is_boilerplate() -> None:
    assert statement_winner([rule("pharmacy")], "CLICKS PHARMAC 0412") == "pharmacy"


def test_a_cut_off_word_before_trailing_whitespace_or_in_a_blank_text() -> None:
    specs = [rule("pharmacy", field="merchant"), rule("transfer", priority=10)]
    assert statement_winner(specs, "", "Clicks Pharmac \t") == "pharmacy"
    assert statement_winner(specs, "TRANSFER", "   ") == "transfer"
