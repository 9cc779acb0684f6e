"""The generated training corpus: deterministic, labelled with real slugs, statement-shaped."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from lucro.enrichment import corpus
from lucro.enrichment.corpus import CUT_MAX, CUT_MIN, CorpusLine, category_slugs, corpus_lines
from lucro.enrichment.corpus_nsi import (
    BRAND_CATEGORY_OVERRIDES,
    NSI_BRANDS_CSV,
    NSI_CATEGORIES,
    VENDING_CATEGORIES,
    nsi_brands,
)

EVAL_LABELLED = Path(corpus.__file__).resolve().parent / "data" / "eval_labelled.csv"


@pytest.fixture(scope="module")
def lines() -> list[CorpusLine]:
    return corpus_lines()


def test_two_runs_are_equal_and_the_seed_matters(lines: list[CorpusLine]) -> None:
    assert corpus_lines() == lines
    assert corpus_lines(seed=7)[:500] != lines[:500]


def test_size_and_every_category_covered(lines: list[CorpusLine]) -> None:
    assert 100_000 <= len(lines) <= 200_000
    slugs = set(category_slugs())
    assert len(slugs) == 112
    per_category = Counter(line.category for line in lines)
    assert set(per_category) == slugs
    assert min(per_category.values()) >= 50, per_category.most_common()[-5:]
    # Big categories stay big.
    assert per_category["food-and-drink-groceries"] > 2000
    assert per_category["transfer-out-account-transfer"] > 2000


def test_every_category_in_the_tables_exists() -> None:
    slugs = set(category_slugs())
    tables = [
        *NSI_CATEGORIES.values(),
        *BRAND_CATEGORY_OVERRIDES.values(),
        *VENDING_CATEGORIES.values(),
        *(row[2] for row in corpus.CHAIN_FORMS),
        *(row[0] for row in corpus.SERVICES),
        *(row[0] for row in corpus.IDIOMS),
        *(row[0] for row in corpus.LOCAL_WORDS),
        *corpus._TYPE_WORDS,
        *corpus._AMOUNT_USD,
    ]
    assert set(tables) - slugs == set()


def test_lines_are_well_formed(lines: list[CorpusLine]) -> None:
    for line in lines:
        assert line.description and line.description == " ".join(line.description.split())
        assert line.amount != 0 and line.amount == line.amount.quantize(Decimal("0.01"))
        incoming = line.category.startswith(("income-", "transfer-in-"))
        assert (line.amount > 0) is incoming, line
        assert line.merchant is None or line.merchant.strip()
    share_with_merchant = sum(line.merchant is not None for line in lines) / len(lines)
    assert 0.1 < share_with_merchant < 0.4
    kinds = Counter(line.kind for line in lines)
    assert kinds["brand"] > 30_000
    assert {"fee", "interest", "wallet", "transfer", "income", "debit-order", "local"} <= set(kinds)


def test_cut_lines_are_cut_at_the_bank_width(lines: list[CorpusLine]) -> None:
    cut = [line for line in lines if line.cut is not None]
    assert len(cut) > 5_000
    assert all(CUT_MIN <= line.cut <= CUT_MAX for line in cut if line.cut is not None)
    # The field itself: a prefix of the name (and suburb) of exactly the recorded width.
    rng = random.Random(1)
    name = "SHOPRITE CHECKERS HYPERMARKET"
    seen = 0
    for _ in range(300):
        field, width = corpus._merchant_field(rng, name, "ZA", suburb=True)
        if width is None:
            continue
        seen += 1
        assert CUT_MIN <= width <= CUT_MAX
        assert len(field) == width
        assert name.startswith(field) or field.startswith(name)
    assert seen > 50


def test_fee_lines_naming_a_merchant_are_fees(lines: list[CorpusLine]) -> None:
    merchants = "|".join(re.escape(name) for name in corpus._FEE_MERCHANTS)
    naming = re.compile(rf"\bFEE\b.*\b({merchants})", re.IGNORECASE)
    fee_lines = [line for line in lines if naming.search(line.description)]
    assert len(fee_lines) > 1_000
    for line in fee_lines:
        assert line.category.startswith("bank-fees-"), line
    assert {line.category for line in fee_lines} >= {
        "bank-fees-foreign-transaction-fees",
        "bank-fees-other-bank-fees",
    }


# Bank and agency wording printed identically on every statement (and so also in the
# hand-written tuning set, eval_labelled.csv, whose lines were never copied here).
SHARED_BANK_WORDING = {
    "TRANSFER",
    "CARBON LOAN DISBURSEMENT",
    "CUSTOMER TRANSFER OF FUNDS CHARGE",
    "DEPOSIT",
    "DOORDASH DASHER PAYOUT",
    "DWP JSA",
    "FOREIGN TRANSACTION FEE",
    "INTEREST CHARGE ON PURCHASES",
    "INTEREST PAYMENT",
    "IRS TREAS 310 TAX REF",
    "MONTHLY ACCOUNT FEE",
    "MONTHLY SERVICE FEE",
    "NON-CHASE ATM FEE-WITH",
    "NYS DOL UI DD",
    "OVERDRAFT FEE",
    "SARS TAX REFUND",
    "SSA TREAS 310 XXSOC SEC",
    "WITHDRAWAL CHARGE",
}
_NAME_KINDS = {"brand", "service", "local", "taxonomy", "person"}


def test_only_shared_wording_or_bare_names_overlap_the_tuning_set(
    lines: list[CorpusLine],
) -> None:
    with EVAL_LABELLED.open(newline="", encoding="utf-8") as handle:
        labelled = {row["description"].strip().upper() for row in csv.DictReader(handle)}
    people = {
        f"{first} {last}"
        for market, firsts in corpus._FIRST_NAMES.items()
        for first in firsts
        for last in corpus._LAST_NAMES[market]
    }
    for line in lines:
        text = line.description.upper()
        if text not in labelled:
            continue
        if line.kind in _NAME_KINDS:
            # A merchant or person printed bare can coincide with a hand-written line; a
            # whole statement line (prefix, merchant, suffixes) must not.
            assert len(text.split()) <= 3, line
        elif not any(text.endswith(person) for person in people):
            # (A transfer idiom to a generic name may coincide with one too.)
            assert text in SHARED_BANK_WORDING, line


def test_nsi_brands_parses() -> None:
    brands = nsi_brands()
    assert len(brands) > 10_000
    slugs = set(category_slugs())
    country = re.compile(r"^([A-Z]{2}|\d{3})$")
    for brand in brands:
        assert brand.name and brand.name.isascii()
        assert brand.category in slugs
        assert brand.nsi_key in NSI_CATEGORIES or brand.nsi_key.endswith("/vending_machine")
        assert all(country.match(code) for code in brand.countries), brand
    assert [(b.name, b.nsi_key) for b in brands] == sorted((b.name, b.nsi_key) for b in brands)
    assert (NSI_BRANDS_CSV.parent / "NSI_LICENSE.txt").read_text().count("BSD 3-Clause") == 1


def test_build_category_corpus_writes_the_csv(tmp_path: Path, lines: list[CorpusLine]) -> None:
    out = tmp_path / "corpus.csv"
    call_command("build_category_corpus", "--out", str(out))
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["description", "merchant", "amount", "category", "kind"]
        rows = list(reader)
    assert len(rows) == len(lines)
    assert rows[0]["description"] == lines[0].description
    assert Decimal(rows[-1]["amount"]) == lines[-1].amount
