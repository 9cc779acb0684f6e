"""gunicorn's own error answers (414, 431, 400 on a malformed request) as problem+json.

gunicorn refuses a request line over ``limit_request_line`` or headers over its limits
before Lucro sees the request, and writes an HTML page (``gunicorn.util.write_error``).
Every other error of the API is RFC 9457 JSON, so a client's error handling should not need
a second parser for these few. gunicorn has no setting for the page; its worker calls
``util.write_error`` through the module, so ``gunicorn.conf.py`` replaces that one function
in the master before it forks. Nothing here imports Django: it runs inside gunicorn itself.
"""

from __future__ import annotations

import json
import socket

from gunicorn.util import write_nonblock

PROBLEM_BASE = "https://lucro.dev/problems/"
_CODES = {400: "bad-request", 403: "forbidden", 414: "uri-too-long", 431: "headers-too-large"}


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write a complete problem+json response for a request gunicorn refused."""
    body = json.dumps(
        {
            "type": PROBLEM_BASE + _CODES.get(status_int, "error"),
            "title": reason,
            "status": status_int,
            # gunicorn's message names the limit that was hit; bounded, JSON-escaped.
            "detail": mesg[:200] or reason,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    write_nonblock(sock, head + body)
