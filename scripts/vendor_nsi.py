"""Vendor brand knowledge from the name-suggestion-index npm package (BSD-3-Clause).

Run from the repository root: ``python scripts/vendor_nsi.py``. It runs ``npm pack`` for
the pinned version into a temporary folder, reads ``dist/json/nsi.json`` from the tarball,
keeps the brands whose NSI type maps to one of our categories
(``lucro.enrichment.corpus_nsi.NSI_CATEGORIES``) and writes, sorted and byte-for-byte
reproducible:

- ``lucro/enrichment/data/corpus/nsi_brands.csv`` (about 1.4 MB, so kept as plain text
  that diffs well; gzip it, with ``mtime=0``, if it ever passes 2 MB), and
- ``lucro/enrichment/data/corpus/NSI_LICENSE.txt`` (the package's licence and provenance).

Only this script needs npm and the network; the service and the corpus generator read the
committed files.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lucro.enrichment.corpus_nsi import (  # noqa: E402
    NSI_BRANDS_CSV,
    NSI_COLUMNS,
    nsi_category,
)

PACKAGE = "name-suggestion-index"
VERSION = "8.0.20260918"
LICENSE_TXT = NSI_BRANDS_CSV.parent / "NSI_LICENSE.txt"
# npm pack downloads ~22 MB; a slow registry should fail the run, not hang it.
NPM_TIMEOUT_S = 300

# Statement lines are printed in Latin letters; names that are not Latin after removing
# accents (Cyrillic, CJK, Arabic, ...) would teach nothing about them.
_PRINTABLE = re.compile(r"^[A-Za-z0-9 &'.,+!/:()*#@-]+$")
# Operators that are public bodies (a city running clinics, a county running parking)
# print as the body, whose lines mean rates, fines or services, not the operated type.
_PUBLIC_BODY = re.compile(
    r"\b(city of|city council|county|council|borough|district|municipal\w*|kommune"
    r"|gemeinde|stadt|ville de|ayuntamiento|comune di|government|ministry|department of"
    r"|department for|state of|town of)\b",
    re.IGNORECASE,
)
_DISAMBIGUATION = re.compile(r"\s*\([^)]*\)\s*$")
# locationSet regions (UN M49) that cover our markets; kept as written.
_REGIONS = {"001", "002", "011", "014", "018", "019", "021", "150", "151", "154", "155"}
_REGIONS |= {"039", "202", "419", "029", "005", "013"}


def ascii_name(value: str) -> str | None:
    """Return the name without accents, or None when it is not printable in Latin."""
    plain = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = plain.replace("\u2019", "'").replace("\u2013", "-").strip()
    plain = _DISAMBIGUATION.sub("", plain)
    plain = " ".join(plain.split())
    if not plain or len(plain) > 60 or not _PRINTABLE.match(plain):
        return None
    if sum(ch.isalpha() for ch in plain) < 2:
        return None
    return plain


def country_codes(location_set: dict[str, Any]) -> list[str]:
    """Return the include codes as ISO country codes (upper case) or M49 regions."""
    codes: set[str] = set()
    for item in location_set.get("include", []):
        if not isinstance(item, str):
            continue  # a [lon, lat, radius] circle: no country to name
        code = item.lower().removesuffix(".geojson")
        if code in _REGIONS:
            codes.add(code)
        elif code == "conus":
            codes.add("US")
        elif re.match(r"^[a-z]{2}(-[a-z0-9]+)?$", code):
            codes.add(code[:2].upper())
    return sorted(codes)


def npm_pack(folder: Path) -> Path:
    """Download the pinned package tarball into folder and return its path."""
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"],
        cwd=folder,
        check=True,
        timeout=NPM_TIMEOUT_S,
        stdout=subprocess.DEVNULL,
    )
    return folder / f"{PACKAGE}-{VERSION}.tgz"


def read_member(tarball: Path, name: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.extractfile(f"package/{name}")
        if member is None:
            raise SystemExit(f"{name} missing from {tarball.name}")
        return member.read()


def brand_rows(nsi: dict[str, Any]) -> list[dict[str, str]]:
    """Return one row per (name, nsi_key) whose type maps to a category, countries merged."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for path, tree in sorted(nsi["nsi"].items()):
        if path.startswith("flags/"):
            continue
        for item in tree.get("items", []):
            tags = item.get("tags", {})
            raw = tags.get("name") or tags.get("brand") or tags.get("operator")
            name = ascii_name(raw or item.get("displayName", ""))
            if name is None:
                continue
            category = nsi_category(path, name, tags)
            if category is None:
                continue
            if (
                path.startswith("operators/")
                and not category.startswith("government-")
                and _PUBLIC_BODY.search(name)
            ):
                continue
            brand = ascii_name(tags.get("brand") or tags.get("operator") or "") or name
            row = merged.setdefault(
                (name, path),
                {"brand": brand, "aliases": set(), "category": category, "countries": set()},
            )
            row["countries"].update(country_codes(item.get("locationSet", {})))
            for alias in item.get("matchNames", []):
                plain = ascii_name(alias)
                if plain and plain.lower() != name.lower():
                    row["aliases"].add(plain)
    return [
        {
            "name": name,
            "brand": row["brand"],
            "aliases": "|".join(sorted(row["aliases"])[:4]),
            "nsi_key": path,
            "category": row["category"],
            "countries": " ".join(sorted(row["countries"])),
        }
        for (name, path), row in sorted(merged.items())
    ]


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=NSI_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tarball = npm_pack(Path(folder))
        package = json.loads(read_member(tarball, "package.json"))
        licence = read_member(tarball, "LICENSE.md").decode("utf-8")
        nsi = json.loads(read_member(tarball, "dist/json/nsi.json"))
    rows = brand_rows(nsi)
    write_csv(rows, NSI_BRANDS_CSV)
    meta = nsi.get("_meta", {})
    LICENSE_TXT.write_text(
        f"nsi_brands.csv is derived from {PACKAGE} {package['version']}\n"
        f"(npm package, {package.get('license')}; {package.get('homepage')};\n"
        f"source {package.get('repository', {}).get('url')};\n"
        f"dist/json/nsi.json generated {meta.get('generated')}, hash {meta.get('hash')},\n"
        f"git commit {package.get('gitHead', 'not recorded in the package')}).\n"
        "Rebuilt by scripts/vendor_nsi.py: names transliterated to ASCII, types mapped to\n"
        "Lucro categories, unmapped types dropped.\n\n"
        f"{licence}",
        encoding="utf-8",
    )
    print(f"{len(rows)} brands written to {NSI_BRANDS_CSV.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
