"""The JSON parser of every DRF view: bounded nesting, strict UTF-8, malformed → 400.

DRF's ``JSONParser`` hands the body to ``json.load``, whose C scanner recurses once per
``[`` or ``{``: a body nested a thousand deep raises ``RecursionError``, which no handler
expects (a 500). Here the nesting is measured first, without recursion and in linear time,
and only a body within ``JSON_MAX_DEPTH`` is decoded (by msgspec, which also refuses what
``json`` lets through: lone surrogates, ``NaN``, control characters in strings).
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any

import msgspec
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request body of this API nests deeper than 3; 64 leaves room for any sane client
# while keeping every decoder far below the interpreter's recursion limit (1 000).
JSON_MAX_DEPTH = 64

# A JSON string, and also the unterminated rest of a malformed body: the alternatives never
# overlap and the tail always matches, so the scan never backtracks (no quadratic input).
_STRING = re.compile(rb'"(?:[^"\\]|\\[\s\S])*(?:"|\\?\Z)')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# +1 for an opening bracket, -1 for a closing one, indexed by byte value.
_DEPTH_STEP = [0] * 256
for _byte in b"[{":
    _DEPTH_STEP[_byte] = 1
for _byte in b"]}":
    _DEPTH_STEP[_byte] = -1


def json_depth(body: bytes) -> int:
    """Return how deep the arrays and objects of the JSON text ``body`` nest.

    Exact for valid JSON, and never below the depth a decoder reaches before it finds a
    malformed body's first error. Linear, with every loop in C.
    """
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


_DECODER = msgspec.json.Decoder()
# JSON numbers with a fraction or an exponent read as Decimal from their text, never through
# a binary float (129.25 stays 129.25, 0.1 stays 0.1).
_DECIMAL_DECODER = msgspec.json.Decoder(float_hook=Decimal)


def json_decode(body: bytes, *, decimals: bool = False) -> Any:
    """Return the JSON value of ``body`` (UTF-8), or raise ``ParseError`` (a 400).

    With ``decimals``, non-integer numbers are ``Decimal`` (integers stay ``int``).
    """
    # Fewer opening brackets than the limit cannot nest beyond it: the usual small body
    # skips the scan.
    if body.count(b"[") + body.count(b"{") > JSON_MAX_DEPTH and json_depth(body) > JSON_MAX_DEPTH:
        raise ParseError(f"JSON nests deeper than {JSON_MAX_DEPTH} levels.")
    try:
        return (_DECIMAL_DECODER if decimals else _DECODER).decode(body)
    except UnicodeDecodeError as exc:
        raise ParseError(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    except msgspec.DecodeError as exc:
        # ValidationError (a subclass) is a number out of range, e.g. 1e999.
        raise ParseError(f"JSON parse error - {exc}") from None


class BoundedJSONParser(JSONParser):
    """``application/json`` bodies through ``json_decode`` (the project's default parser)."""

    decimals = False

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        if stream is None:
            return {}
        body = stream.read()
        encoding = str((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)
        try:
            # Only text codecs: a bytes-to-bytes one (bz2_codec) would inflate the body
            # after its size was checked.
            "".encode(encoding)
            utf8 = codecs.lookup(encoding).name == "utf-8"
        except (LookupError, UnicodeError):
            raise ParseError(f"Unsupported charset {encoding!r}.") from None
        if not utf8:
            # A declared text charset is honoured, as DRF's own parser does; the decoder
            # works on UTF-8.
            try:
                body = body.decode(encoding).encode("utf-8")
            except UnicodeError:
                raise ParseError(f"The body is not valid {encoding}.") from None
        return json_decode(body, decimals=self.decimals)


class DecimalJSONParser(BoundedJSONParser):
    """``BoundedJSONParser`` reading non-integer numbers as ``Decimal`` (rates, amounts)."""

    decimals = True
