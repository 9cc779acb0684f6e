"""One webhook HTTP request: POST to vetted addresses only, within a deadline, no redirects.

Against DNS rebinding, the host is resolved here, once per send, every address is vetted
(``destinations.addresses_vetted``), and the connection goes to a vetted address itself,
while the request keeps the URL's host in ``Host`` and in TLS (SNI and the certificate
check). Re-resolving and refusing would still leave a window between our check and the
HTTP library's own lookup, which a name with a zero TTL can use to answer differently the
second time; connecting to the very address we judged leaves none.

The standard library's ``http.client`` never follows a redirect: a 3xx is an answer like
any other non-2xx (a failed attempt). The timeout bounds the whole attempt (connection,
TLS, request and the answer's status line and headers), not each socket operation: a
receiver that trickles its answer a byte at a time is cut off at the deadline as well.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import cache

from lucro.webhooks.destinations import DestinationRefused, addresses_vetted, url_parts

USER_AGENT = "Lucro-Webhooks/1.0"


@dataclass(frozen=True)
class SendResult:
    """What came of one attempt: an HTTP status, or an error (and how long it took)."""

    status_code: int | None
    duration_ms: int
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a given address, naming the URL's host in ``Host``."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a given address; SNI and the certificate check use the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=_tls_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_private: bool,
) -> SendResult:
    """POST ``body`` to ``url`` and return the answer's status (or why there was none)."""
    started = time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port, path = url_parts(url)
        if scheme != "https" and not allow_private:
            raise DestinationRefused("Must be an https URL.")
        addresses = addresses_vetted(host, port, allow_private=allow_private)
    except DestinationRefused as exc:
        return SendResult(None, elapsed_ms(), f"refused: {exc}")
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    deadline = started + timeout
    last_error = "no address answered"
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection = connection_class(host, port, str(address), remaining)
        watchdog: threading.Timer | None = None
        try:
            connection.connect()
            sock = connection.sock
            # The socket timeout bounds each read; this bounds them all together.
            watchdog = threading.Timer(
                max(0.0, deadline - time.monotonic()), _shutdown, args=(sock,)
            )
            watchdog.daemon = True
            watchdog.start()
            connection.request(
                "POST",
                path,
                body=body,
                headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
            )
            response = connection.getresponse()
            return SendResult(response.status, elapsed_ms())
        except (ConnectionRefusedError, socket.gaierror) as exc:
            last_error = f"connection refused ({type(exc).__name__})"
            continue  # the next address, as a browser would
        except ssl.SSLError as exc:
            return SendResult(None, elapsed_ms(), f"TLS error: {exc.reason or exc}")
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            if time.monotonic() >= deadline - 0.01:
                return SendResult(None, elapsed_ms(), f"timed out after {timeout:g} s")
            return SendResult(None, elapsed_ms(), f"network error: {_describe(exc)}")
        finally:
            if watchdog is not None:
                watchdog.cancel()
            connection.close()
    if time.monotonic() >= deadline:
        return SendResult(None, elapsed_ms(), f"timed out after {timeout:g} s")
    return SendResult(None, elapsed_ms(), last_error)


def _shutdown(sock: socket.socket | None) -> None:
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]
