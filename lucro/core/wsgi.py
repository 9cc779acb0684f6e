"""WSGI middleware: give Django a body it can read when the client sent it chunked.

Django reads exactly ``CONTENT_LENGTH`` bytes of ``wsgi.input``. A request sent with
``Transfer-Encoding: chunked`` has no ``Content-Length``, so Django saw an empty body (an
ingest answered 400 "truncated"). gunicorn already removes the chunk framing from
``wsgi.input``; this reads the body (never more than the configured limit plus one byte)
and hands it on with its length, for every endpoint at once. A body over the limit is a
413 problem here, before any view buffers it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

from lucro.core.errors import PROBLEM_CONTENT_TYPE, PayloadTooLarge

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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
                problem = PayloadTooLarge(f"The body is over {limit} bytes.")
                payload = json.dumps(problem.as_problem()).encode()
                start_response(
                    "413 Request Entity Too Large",
                    [
                        ("Content-Type", PROBLEM_CONTENT_TYPE),
                        ("Content-Length", str(len(payload))),
                        ("Connection", "close"),
                    ],
                )
                return [payload]
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)
