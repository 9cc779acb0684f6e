"""Probes on a listener of their own, so they never queue behind API traffic.

Measured on the 2-core machine (gunicorn.conf.py defaults, 2 workers × 4 threads): under
200 parallel ingestion clients, ``GET /api/live/`` on the API port waited ≈ 3 s (p50) for a
free request thread — a liveness probe with a 1 s timeout would restart a node that is
merely busy. More threads do not help: the queue is as long as the backlog. With
``PROBE_PORT`` set, gunicorn.conf.py binds that port once in the master and every worker
answers it on a thread of its own (``probe_server_start``), outside gunicorn's request
pool. Only the probes are served there:

* ``/api/live/`` — the worker process answers; touches nothing.
* ``/api/health/`` — the same cached verdict as the API's (lucro.ops.health).

Everything else is 404: the port is for the orchestrator on the node's network, not for
clients (do not route public traffic to it).
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ProbeHandler(BaseHTTPRequestHandler):
    """Answer the two probes with the same JSON as the API's views."""

    server_version = "lucro-probe"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/api/live":
            self._answer(200, {"status": "ok"})
        elif path == "/api/health":
            from lucro.ops.health import health_verdict

            ok, checks = health_verdict()
            self._answer(200 if ok else 503, {"status": "ok" if ok else "error", "checks": checks})
        else:
            self._answer(404, {"status": "not found"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds would drown the logs; errors show in the verdict."""


def probe_socket(address: str) -> socket.socket:
    """Bind and listen on ``host:port`` (in the gunicorn master, before workers fork)."""
    host, _, port = address.rpartition(":")
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]") or "0.0.0.0", int(port)))  # noqa: S104 - probes come from the node's network
    sock.listen(128)
    return sock


def probe_server_start(sock: socket.socket) -> ThreadingHTTPServer:
    """Serve the probes on the inherited listening ``sock`` from a daemon thread."""
    server = ThreadingHTTPServer(sock.getsockname()[:2], ProbeHandler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="probes", daemon=True)
    thread.start()
    return server
