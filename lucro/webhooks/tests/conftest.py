"""A real HTTP receiver on loopback that verifies every request's signature, and an outbox.

``receiver`` is an ``http.server`` in a thread: each request's id, timestamp, body and
signatures are kept, and each one is checked with ``standardwebhooks.Webhook(secret)
.verify`` against the secrets the test says are current. The answers are scripted
(a status, or a delay before answering).

``outbox`` replaces the broker for tests that drive the service directly: the attempts
services ask for are collected (with their countdown), and ``outbox.run()`` makes them.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from lucro.webhooks import tasks


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_by: list[str] = field(default_factory=list)  # the secrets that verify it
    verify_errors: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """What the loopback server got and how it answers."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: list[Answer] = []  # consumed in order; then 200
        self.secrets: list[str] = []  # each received request is verified against each
        self.url = ""
        self.lock = threading.Lock()

    def script(self, *answers: int | Answer) -> None:
        self.answers = [a if isinstance(a, Answer) else Answer(a) for a in answers]

    def _next_answer(self) -> Answer:
        with self.lock:
            return self.answers.pop(0) if self.answers else Answer(200)

    def record(self, received: Received) -> None:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(received.body, received.headers)
                received.verified_by.append(secret)
            except WebhookVerificationError as exc:
                received.verify_errors.append(str(exc))
        with self.lock:
            self.requests.append(received)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"the receiver got {len(self.requests)} of {count} requests")

    def assert_all_verified(self) -> None:
        """Every request carried a signature that a current secret verifies."""
        assert self.requests
        for received in self.requests:
            assert received.verified_by, (received.headers, received.verify_errors)


def _handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            answer = receiver._next_answer()
            receiver.record(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if answer.delay:
                time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up (timeout)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Queued:
    delivery_id: str
    token: str
    countdown: float


class Outbox:
    """The attempts services queued (instead of a broker), made on demand."""

    def __init__(self) -> None:
        self.queued: list[Queued] = []

    def take(self) -> list[Queued]:
        taken, self.queued = self.queued, []
        return taken

    def run(
        self,
        capture: Callable[..., Any] | None = None,
        clock: Any = None,
        *,
        limit: int | None = None,
    ) -> list[str]:
        """Make every queued attempt (and those they queue) now; return their outcomes.

        With ``clock`` (time-machine's fixture), time first moves on by each message's
        countdown, as a broker would hold it. ``capture``: pytest-django's
        ``django_capture_on_commit_callbacks``, so that what an attempt queues on commit
        is queued here. ``limit``: make at most that many.
        """
        outcomes: list[str] = []
        while self.queued and (limit is None or len(outcomes) < limit):
            item = self.queued.pop(0)
            if clock is not None and item.countdown:
                clock.shift(item.countdown)
            if capture is None:
                outcomes.append(str(tasks.deliver(item.delivery_id, item.token)))
            else:
                with capture(execute=True):
                    outcomes.append(str(tasks.deliver(item.delivery_id, item.token)))
        return outcomes


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Outbox:
    box = Outbox()
    monkeypatch.setattr(
        tasks,
        "_send",
        lambda delivery_id, token, countdown: box.queued.append(
            Queued(delivery_id, token, countdown)
        ),
    )
    return box


@pytest.fixture
def loopback(settings: Any) -> None:
    """Receivers on this machine are allowed (as in the embedded development default)."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def production_mode(settings: Any) -> None:
    """What production checks: https and public addresses only."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
