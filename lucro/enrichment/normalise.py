"""The statement-line normaliser: what the rules see of a bank statement line.

Banks wrap the merchant in boilerplate — a purchase prefix, then the merchant, then a date,
a card fragment, a terminal or branch code, a reference, a city or country code
(``POS PURCHASE CLICKS PHARMACY 05/10 CARD 1234 JHB``). The normaliser strips that wrapper
and returns the case-folded remainder (``clicks pharmacy``), which is also the merchant part
of a line that came without ``merchant_name``. It never changes a stored row: the original
text stays for display, and the matcher looks at the normalised text *beside* the original.

Pure functions over fixed patterns written here (no user input reaches these regexes, so
the stdlib ``re`` is safe); the work is token by token from both ends of the line, so a
line costs a few set lookups rather than a backtracking search.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Purchase prefixes, longest first: the first one that starts the line is removed, with
# whatever separator follows it. Kept as token tuples so that "pos" never eats "postnet".
_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(phrase.split())
            for phrase in (
                "pos purchase",
                "pos purch",
                "pos prch",
                "pos debit",
                "pos dr",
                "pos payment",
                "pos transaction",
                "pos txn",
                "pos local",
                "pos int",
                "pos international",
                "pos",
                "card purchase",
                "card purch",
                "card payment",
                "card transaction",
                "card txn",
                "debit card purchase",
                "debit card payment",
                "debit card",
                "visa purchase",
                "visa debit",
                "visa pos",
                "mastercard purchase",
                "maestro purchase",
                "cheque card purchase",
                "cheq card purchase",
                "chq card purchase",
                "checkcard",
                "check card",
                "purchase",
                "purch",
                "contactless",
                "contactless payment",
                "ctls",
                "point of sale",
                "pos-purchase",
                "online purchase",
                "internet purchase",
                "recurring card payment",
            )
        ),
        key=len,
        reverse=True,
    )
)

# A token that names what the following token is (a card, reference or terminal number):
# dropped together with that number at the end of a line.
_LABELS = frozenset(
    [
        "card",
        "crd",
        "ref",
        "ref:",
        "ref#",
        "ref.",
        "reference",
        "refno",
        "ref.no",
        "rrn",
        "auth",
        "authcode",
        "trace",
        "seq",
        "term",
        "term:",
        "terminal",
        "tid",
        "tid:",
        "branch",
        "br",
        "brn",
        "store",
        "str",
        "no",
        "no.",
        "nr",
        "nr.",
        "id",
        "id:",
        "txn",
        "pos",
        "acct",
        "acc",
        "a/c",
    ]
)

# A label left at the very end without its number ("… REF:", "… CARD").
_DANGLING = frozenset(("ref", "reference", "card", "term", "terminal", "tid", "auth"))

# Trailing city and country codes, stripped only when two tokens remain before them (a line
# that is just "SPAR ZA" keeps both). Country codes are ISO 3166 alpha-2/-3 of the markets
# Lucro serves; cities are the abbreviations banks print, plus a few big cities spelt out.
_PLACES = frozenset(
    [
        "za",
        "zaf",
        "rsa",
        "ke",
        "ken",
        "ng",
        "nga",
        "gh",
        "gha",
        "ug",
        "uga",
        "tz",
        "tza",
        "rw",
        "rwa",
        "zm",
        "zmb",
        "zw",
        "zwe",
        "gb",
        "gbr",
        "uk",
        "us",
        "usa",
        "jhb",
        "joburg",
        "johannesburg",
        "cpt",
        "dbn",
        "pta",
        "pe",
        "blm",
        "nbo",
        "nairobi",
        "msa",
        "mombasa",
        "lagos",
        "lag",
        "abuja",
        "abj",
        "accra",
        "kumasi",
        "kampala",
        "london",
        "ldn",
    ]
)

# Store-format words banks join to a brand ("SPAREXPRESS", "PNPMINI"): split off so that
# word-bounded brand rules (``\bspar\b``) see the brand.
_JOINED = re.compile(r"([a-z]{3,}?)(express|xpress|mini|hyper|extra)")
_JOINED_ANY = re.compile(r"[a-z]{3}(?:express|xpress|mini|hyper|extra)\b")

# Tokens that are boilerplate wherever they stand at the end of a line: dates (05/10,
# 05.10.25, 2025-10-05, 05OCT, 05-OCT-2025), times, masked card numbers (*1234, XXXX1234,
# 4567XXXXXX1234, ****), references and codes with digits (REF88213, T0012345, #9921).
_TAIL = re.compile(
    r"""(?x)
    \d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?        # 05/10, 05.10.25, 2025-10-05
    | \d{1,2}[\-]?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)(?:[\-]?\d{2,4})?
    | \d{1,2}:\d{2}(?::\d{2})?                     # 14:32
    | [*x#]+\d*                                    # *1234, xxxx1234, #9921, ****
    | \d+[*x]+\d+                                  # 4567xxxxxx1234
    | [a-z./:#\-]*\d[a-z0-9./:#\-]*                # anything else holding a digit
    | [\-:/|*.,#]+                                 # a stray separator
    """
)
# What may stand before the merchant at the start of a line once the prefix is gone.
_HEAD = re.compile(r"\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?|[\-:/|*.,#]+")
_TRIM = " -:/|*.,#"


class StatementLine(NamedTuple):
    """A normalised line: ``text`` for the rules, ``merchant`` when the line is a card line.

    ``changed`` says whether ``text`` differs from the case-folded original by more than
    trailing bare numbers (only then is it worth a second pass of the rules; without the
    numbers it is still the line whose last word may be cut off). A named tuple, not a
    dataclass: one is made per new statement line, on the hot path, and a tuple is made
    ≈ 4× faster.
    """

    text: str
    merchant: str | None
    changed: bool


# Prefix phrase -> its length in words, and the lengths to try for a line's first word:
# most lines start with a word that begins no prefix, and cost one lookup.
_PREFIX_SIZE = {" ".join(prefix): len(prefix) for prefix in _PREFIXES}
_SIZES_BY_FIRST: dict[str, tuple[int, ...]] = {}
for _prefix in _PREFIXES:
    _SIZES_BY_FIRST[_prefix[0]] = tuple(
        sorted({*_SIZES_BY_FIRST.get(_prefix[0], ()), len(_prefix)}, reverse=True)
    )
# Tail tokens that show a card line (so the rest is a merchant), unlike a bare number.
_CARDISH = re.compile(
    r"\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?|[*x#]+\d+|\d+[*x]+\d+"
    r"|\d{1,2}-?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)(?:-?\d{2,4})?"
)


def _strip_prefix(tokens: list[str]) -> tuple[list[str], bool]:
    sizes = _SIZES_BY_FIRST.get(tokens[0].rstrip(_TRIM))
    for size in sizes or ():
        if len(tokens) > size and " ".join(t.rstrip(_TRIM) for t in tokens[:size]) in _PREFIX_SIZE:
            return tokens[size:], True
    return tokens, False


def _split_joined(token: str) -> str:
    if len(token) < 7 or not token.isalpha():
        return token
    found = _JOINED.fullmatch(token)
    return f"{found[1]} {found[2]}" if found else token


def statement_line(text: str) -> StatementLine:
    """Return ``text`` without its bank boilerplate, case-folded, and its merchant part."""
    folded = " ".join(text.casefold().split())
    tokens = folded.split(" ")
    size = len(tokens)
    first, last = tokens[0], tokens[-1]
    # The common line needs nothing (a word first that starts no prefix, a plain word last,
    # no joined store format): settle it with three lookups and one search.
    if (
        first.isalpha()
        and first not in _SIZES_BY_FIRST
        and last.isalpha()
        and last not in _DANGLING
        and last not in _PLACES
        and _JOINED_ANY.search(folded) is None
    ):
        return StatementLine(folded, None, False)
    if first.isalpha() and first not in _SIZES_BY_FIRST and last.isdigit():
        # The next most common: a plain line ending in bare numbers ("PAYMENT VENDOR 45").
        # Without them it is the same line (``changed`` stays false), unless a label or a
        # place stands before them; then the full reading below decides.
        end = size - 1
        while end > 1 and tokens[end - 1].isdigit():
            end -= 1
        word = tokens[end - 1]
        if (
            word.isalpha()
            and word not in _LABELS
            and word not in _PLACES
            and _JOINED_ANY.search(folded) is None
        ):
            return StatementLine(" ".join(tokens[:end]), None, False)
    # Leading dates or separators first ("05/10 POS PURCHASE …"), then the purchase prefix.
    while len(tokens) > 1 and not tokens[0].isalpha() and _HEAD.fullmatch(tokens[0]):
        del tokens[0]
    tokens, card_line = _strip_prefix(tokens)
    numbers = 0  # bare numbers stripped from the end
    if card_line and len(tokens) > 1 and len(tokens[0]) == 4 and tokens[0].isdigit():
        # "CHECKCARD 1005 STARBUCKS": US banks print the purchase's MMDD after the prefix.
        del tokens[0]
    while len(tokens) > 1:
        last = tokens[-1]
        if last.isdigit():
            # A bare number (a store, terminal or payee number): no pattern needed.
            tokens.pop()
            numbers += 1
            if len(tokens) > 1 and tokens[-1].rstrip(_TRIM) in _LABELS:
                tokens.pop()
                card_line = True
            continue
        if last.isalpha():
            # The common case, a word: boilerplate only if it is a label or a place.
            if last in _DANGLING or (last in _PLACES and len(tokens) > 2):
                tokens.pop()
                continue
            break
        if not _TAIL.fullmatch(last):
            if last.rstrip(_TRIM) in _DANGLING:
                tokens.pop()
                continue
            break
        tokens.pop()
        if _CARDISH.fullmatch(last):
            card_line = True
        # "CARD 1234", "REF 88213", "TERMINAL 0042": the label goes with its number.
        if len(tokens) > 1 and tokens[-1].rstrip(_TRIM) in _LABELS:
            tokens.pop()
            card_line = True
    stripped = size - len(tokens) > numbers
    words = " ".join(tokens).strip(_TRIM)
    if _JOINED_ANY.search(words):
        words = " ".join(_split_joined(t) for t in words.split(" "))
        stripped = True
    words = words or folded
    return StatementLine(words, words if card_line else None, stripped and words != folded)


def statement_text(text: str) -> str:
    """Return only the normalised text of ``text`` (see ``statement_line``)."""
    return statement_line(text).text
