"""WSGI middleware, in front of Django: what must be settled before Django builds a request.

``ChunkedBodyMiddleware``: give Django a body it can read when the client sent it chunked.

Django reads exactly ``CONTENT_LENGTH`` bytes of ``wsgi.input``. A request sent with
``Transfer-Encoding: chunked`` has no ``Content-Length``, so Django saw an empty body (an
ingest answered 400 "truncated"). gunicorn already removes the chunk framing from
``wsgi.input``; this reads the body (never more than the configured limit plus one byte)
and hands it on with its length, for every endpoint at once. A body over the limit is a
413 problem here, before any view buffers it.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

from lucro.core.errors import (
    PROBLEM_CONTENT_TYPE,
    ApplicationError,
    PayloadTooLarge,
    UnsupportedMediaType,
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _problem(
    start_response: Callable[..., Any], status: str, problem: ApplicationError
) -> list[bytes]:
    payload = json.dumps(problem.as_problem()).encode()
    start_response(
        status,
        [
            ("Content-Type", PROBLEM_CONTENT_TYPE),
            ("Content-Length", str(len(payload))),
            ("Connection", "close"),
        ],
    )
    return [payload]


def charset_refusal(content_type: str) -> UnsupportedMediaType | None:
    """Return the problem for a Content-Type whose charset is a codec but not a text encoding.

    Django builds its request with any charset ``codecs.lookup`` knows, then decodes the
    query string with it: ``charset=bz2_codec`` raised ``LookupError`` before any middleware
    ran (a bare 500 from the server). Such a request is refused here instead.
    """
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() != "charset":
            continue
        try:
            info = codecs.lookup(value.strip().strip('"'))
        except LookupError:
            return None  # Django ignores a charset it does not know
        if not info._is_text_encoding:  # type: ignore[attr-defined]
            return UnsupportedMediaType(f"The charset {value.strip()!r} is not a text encoding.")
    return None


class ChunkedBodyMiddleware:
    """Buffer a chunked request body (bounded) and set its ``CONTENT_LENGTH``."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        encoding = environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if "chunked" in encoding and not environ.get("CONTENT_LENGTH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return _problem(
                    start_response,
                    "413 Request Entity Too Large",
                    PayloadTooLarge(f"The body is over {limit} bytes."),
                )
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)


class CharsetGuardMiddleware:
    """Answer 415 (problem+json) to a charset that is a codec but not a text encoding."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        refusal = charset_refusal(environ.get("CONTENT_TYPE", ""))
        if refusal is not None:
            return _problem(start_response, "415 Unsupported Media Type", refusal)
        return self.app(environ, start_response)
