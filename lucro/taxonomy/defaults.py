"""The default taxonomy: Plaid's personal finance categories plus African-market ones.

Derived from ``data/plaid_taxonomy.csv`` (Plaid's published file, unchanged) and
``data/african_categories.csv`` (the detailed categories SPEC §3 adds). Slugs are the codes
in kebab case (``FOOD_AND_DRINK_COFFEE`` → ``food-and-drink-coffee``), stable forever.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCES = ("plaid_taxonomy.csv", "african_categories.csv")

# Words kept as written rather than title-cased.
_SMALL_WORDS = {"and": "&", "or": "or", "of": "of"}
_SPECIAL = {"ATM": "ATM", "TV": "TV"}


@dataclass(frozen=True)
class TaxonomyEntry:
    code: str
    slug: str
    name: str
    short_name: str
    description: str
    parent_code: str | None


def slugify_code(code: str) -> str:
    return code.lower().replace("_", "-")


def humanize(code: str) -> str:
    """Return a readable name: ``FOOD_AND_DRINK`` → ``Food & Drink``."""
    words = []
    for index, word in enumerate(code.split("_")):
        if word in _SPECIAL:
            words.append(_SPECIAL[word])
        elif index and word.lower() in _SMALL_WORDS:
            words.append(_SMALL_WORDS[word.lower()])
        else:
            words.append(word.capitalize())
    return " ".join(words)


def taxonomy() -> list[TaxonomyEntry]:
    """Return every primary category followed by the detailed ones, in file order."""
    primaries: dict[str, TaxonomyEntry] = {}
    detailed: list[TaxonomyEntry] = []
    for source in SOURCES:
        with (DATA_DIR / source).open(newline="") as handle:
            for row in csv.DictReader(handle):
                primary, code = row["PRIMARY"].strip(), row["DETAILED"].strip()
                if primary not in primaries:
                    primaries[primary] = TaxonomyEntry(
                        primary,
                        slugify_code(primary),
                        humanize(primary),
                        humanize(primary),
                        "",
                        None,
                    )
                short = (
                    humanize(code[len(primary) + 1 :])
                    if code.startswith(primary)
                    else humanize(code)
                )
                detailed.append(
                    TaxonomyEntry(
                        code,
                        slugify_code(code),
                        f"{primaries[primary].name} › {short}",
                        short,
                        row["DESCRIPTION"].strip(),
                        primary,
                    )
                )
    return [*primaries.values(), *detailed]
