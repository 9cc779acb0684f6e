"""The statement-line normaliser: bank boilerplate off, the merchant part kept."""

from __future__ import annotations

import pytest

from lucro.enrichment.normalise import statement_line, statement_text


@pytest.mark.parametrize(
    ("line", "text"),
    [
        # South African card lines: purchase prefix, date, card fragment, city.
        ("POS PURCHASE CLICKS PHARMACY 05/10 CARD 1234 JHB", "clicks pharmacy"),
        ("CARD PURCHASE SHOPRITE REF 88213", "shoprite"),
        ("POS DEBIT PNP FAMILY 2025-10-05", "pnp family"),
        ("DEBIT CARD PURCHASE WOOLWORTHS FOOD *1234", "woolworths food"),
        ("CHEQUE CARD PURCHASE SPUR STEAK RANCH 0412 XXXX1234", "spur steak ranch"),
        ("05/10 POS PURCHASE KFC BRYANSTON ZA", "kfc bryanston"),
        ("POS PURCHASE ENGEN QUICKSHOP TERMINAL 00412 CPT", "engen quickshop"),
        ("WOOLWORTHS CARD 1234", "woolworths"),
        # Kenyan, Nigerian and Ghanaian card and wallet lines.
        ("POS PURCHASE NAIVAS WESTLANDS 12/09 NBO KE", "naivas westlands"),
        ("POS TXN SHOPRITE LEKKI REF:000912345 LAGOS NG", "shoprite lekki"),
        ("VISA PURCHASE MELCOM ACCRA MALL 14:32 GH", "melcom accra mall"),
        ("POS PURCH CHICKEN INN RRN 412233998811", "chicken inn"),
        # UK and US card lines.
        ("CARD PAYMENT TO TESCO STORES 3041 05OCT", "to tesco stores"),
        ("TESCO STORES 3041 XXXX1234 GB", "tesco stores"),
        ("CHECKCARD 1005 STARBUCKS STORE 0412", "starbucks"),
        ("WALGREENS #9921", "walgreens"),
        ("CONTACTLESS PRET A MANGER 4567XXXXXX1234", "pret a manger"),
        # Joined store formats are split from the brand.
        ("DEBIT CARD PURCHASE SPAREXPRESS 2025-10-05", "spar express"),
        ("POS DEBIT PNPMINI *1234", "pnp mini"),
        ("CHECKERSHYPER RANDBURG", "checkers hyper randburg"),
    ],
)
def test_boilerplate_is_stripped(line: str, text: str) -> None:
    assert statement_text(line) == text


@pytest.mark.parametrize(
    "line",
    [
        # Nothing to strip: fee lines keep the merchant they name, transfers their words.
        "FOREIGN TXN FEE: SPOTIFY",
        "CARD FEE - UBER",
        "MPESA TRANSACTION COST",
        "NIP TRANSFER FROM ADEBAYO",
        "SPAR ZA",  # a place is only stripped when two words remain before it
        "BOOTS 1124 OXFORD ST",  # a number followed by words is not the line's tail
        "POS",  # a prefix alone is not stripped to nothing
    ],
)
def test_lines_without_boilerplate_are_only_case_folded(line: str) -> None:
    parsed = statement_line(line)
    assert parsed.text == " ".join(line.casefold().split())
    assert parsed.changed is False


def test_the_merchant_part_is_given_only_for_card_lines() -> None:
    assert statement_line("POS PURCHASE CLICKS PHARMACY 05/10").merchant == "clicks pharmacy"
    assert statement_line("SHOPRITE CARD 1234").merchant == "shoprite"
    assert statement_line("GAME STORES *4821").merchant == "game stores"
    # A bare trailing number (a payee id, a phone) does not make a card line.
    assert statement_line("PAYMENT VENDOR0123 LTD 45").merchant is None
    assert statement_line("TRANSFER TO 0244123456").merchant is None
    assert statement_line("FOREIGN TXN FEE: SPOTIFY").merchant is None


def test_stripping_only_bare_numbers_is_no_change_worth_a_second_pass() -> None:
    line = statement_line("PAYMENT VENDOR0123 LTD 45")
    assert line.text == "payment vendor0123 ltd"
    assert line.changed is False
    assert statement_line("PAYMENT VENDOR0123 LTD REF 45").changed is True


def test_words_that_merely_start_like_a_prefix_are_kept() -> None:
    assert statement_text("POSTNET KILLARNEY") == "postnet killarney"
    assert statement_text("PURCHASES REFUND") == "purchases refund"


def test_joined_forms_need_a_brand_of_three_letters() -> None:
    # "gemini" ends in "mini" but "ge" is no brand.
    assert statement_text("GEMINI TRAVEL") == "gemini travel"
    assert statement_text("KWIKSPAREXPRESS") == "kwikspar express"


def test_unicode_is_case_folded_like_the_matcher() -> None:
    assert statement_text("POS PURCHASE STRASSE CAFÉ 05/10") == "strasse café"
    assert statement_text("Pos  Purchase   Café  Nero") == "café nero"
