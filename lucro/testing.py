"""Helpers for tests: an authenticated JSON client and valid payloads.

Outside the app layers (like ``django.test``): it spans tenancy (keys) and ingestion
(payloads), and only tests import it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.test import Client

from lucro.tenancy.models import Membership, Organization, User
from lucro.tenancy.services import api_key_create, organization_get_or_create
from lucro.tenancy.tokens import Session, session_issue


class ApiClient:
    """A test client that sends one organization's credential and JSON bodies.

    ``key`` is an API key (sent as ``Token``) or, with ``scheme="Bearer"``, a user's access
    token.
    """

    def __init__(self, organization: Organization, key: str, scheme: str = "Token") -> None:
        self.organization = organization
        self.key = key
        self.scheme = scheme
        self.client = Client()

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"{self.scheme} {self.key}"}
        headers.update(extra or {})
        return headers

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(path, params, headers=self._headers(headers))

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            path, data=data, content_type=content_type, headers=self._headers(headers)
        )

    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            path,
            data=json.dumps(body),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(
            path,
            data=json.dumps(body),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(path, headers=self._headers(headers))


def make_client(name: str, scopes: list[str] | None = None) -> ApiClient:
    """Return a client for a new key of organization ``name`` (created if needed)."""
    organization = organization_get_or_create(name=name)
    return ApiClient(organization, api_key_create(organization=organization, scopes=scopes).raw_key)


def make_member(
    name: str, role: str, email: str | None = None
) -> tuple[ApiClient, Membership, Session]:
    """Return a Bearer client for a new user with ``role`` in organization ``name``.

    The user has no usable password and the tokens are issued directly: Argon2 costs
    ≈ 0.2 s a hash here, and only the login tests need the password path.
    """
    organization = organization_get_or_create(name=name)
    email = email or f"{role}.{uuid.uuid4().hex[:8]}@example.com"
    user = User(username=email, email=email, first_name=role.title())
    user.set_unusable_password()
    user.save()
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    session = session_issue(membership=membership)
    return ApiClient(organization, session.access, scheme="Bearer"), membership, session


def make_batch(
    n: int = 1,
    *,
    account_id: str = "acc_1",
    currency: str = "USD",
    start: int = 0,
    request_id: str | None = None,
    include_account: bool = True,
    **txn_overrides: Any,
) -> dict[str, Any]:
    """Return a valid ingestion payload with ``n`` transactions."""
    transactions = []
    for i in range(start, start + n):
        txn = {
            "transaction_id": f"tx_{i}",
            "account_id": account_id,
            "amount": f"-{(i % 500) + 1}.25" if currency != "JPY" else -(i + 1),
            "iso_currency_code": currency,
            "date": f"2025-10-{(i % 28) + 1:02d}",
            "authorized_date": None,
            "name": f"AMAZON MARKETPLACE {i}",
            "merchant_name": "Amazon",
            "payment_channel": "online",
            "pending": False,
        }
        txn.update(txn_overrides)
        transactions.append(txn)
    payload: dict[str, Any] = {
        "accounts": (
            [
                {
                    "account_id": account_id,
                    "name": "Checking",
                    "type": "depository",
                    "subtype": "checking",
                    "mask": "1111",
                }
            ]
            if include_account
            else []
        ),
        "transactions": transactions,
        "total_transactions": n,
    }
    if request_id is not None:
        payload["request_id"] = request_id
    return payload


# --- A real browser: Debian's Chromium driven by Playwright ------------------------------
# Playwright never downloads a browser here: it launches /usr/bin/chromium, which
# scripts/test-prereqs.sh installs from Debian's packages.

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian chromium is not installed (scripts/test-prereqs.sh installs it)",
)


@contextmanager
def chromium() -> Iterator[Any]:
    """Yield a headless Chromium (a Playwright ``Browser``); close it and the test's
    database connections after."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    snapshots_keep()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            snapshots_restore()
            try:
                yield browser
            finally:
                # The test's ORM calls inside Playwright's sync API got a
                # connections["default"] wrapper of their own (observed: another object than
                # the suite's, on the same thread), which the suite's teardown never closed:
                # left open, it made dropping the PostgreSQL test database fail ("being
                # accessed by other users").
                connections.close_all()
                browser.close()
    finally:
        snapshots_restore()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# pytest-django's ``serialized_rollback`` restores each such test's database from a snapshot
# kept on the connection wrapper (``_test_serialized_contents``), and silently skips the
# restore when the wrapper has none. Code run inside Playwright's sync API, and the tests
# after a browser's module, see connections[...] wrappers of their own (another asgiref
# context), without it: the browser test found no taxonomy, and every serialized test
# after it neither (CI, the first run with the dashboard's browser test). So the snapshot
# is kept once it exists (the root conftest, after each test's setup) and handed to the
# wrappers of whatever context runs next (before each test's setup, and inside Playwright).
_SNAPSHOTS: dict[str, str] = {}


def snapshots_keep() -> None:
    """Keep the serialized-rollback snapshots of the current connection wrappers."""
    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            _SNAPSHOTS.setdefault(alias, contents)


def snapshots_restore() -> None:
    """Give the current connection wrappers the snapshots kept (where they lack one)."""
    for alias, contents in _SNAPSHOTS.items():
        wrapper = connections[alias]
        if not hasattr(wrapper, "_test_serialized_contents"):
            wrapper._test_serialized_contents = contents  # type: ignore[attr-defined]


def off_host(url: str) -> bool:
    """Whether ``url`` would leave this machine (data:, blob: and loopback URLs do not)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a name: resolving it would already be a request off this host


def loopback_only(page: Any) -> list[str]:
    """Abort every request of ``page`` that would leave this machine, as on a LAN or an
    offline machine; return the list the attempted URLs are appended to."""
    attempted: list[str] = []

    def route(route: Any) -> None:
        if off_host(route.request.url):
            attempted.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", route)
    return attempted


def dashboard_client(user: User, organization: Organization) -> Client:
    """Return a test client with a dashboard session of ``user`` in ``organization``, as
    the login form leaves it (no password check: Argon2 costs ≈ 0.2 s a hash)."""
    from lucro.dashboard.access import SESSION_ORGANIZATION

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_ORGANIZATION] = str(organization.pk)
    session.save()
    return client


def wait_for_a_fresh_window(seconds: float = 10) -> None:
    """Sleep into the next minute if this one has less than ``seconds`` left.

    Rate limits count in fixed minutes (``lucro.core.ratelimit``): a test whose requests
    straddle two of them would see its counter restart halfway (a login takes ≈ 0.3 s on
    a busy machine).
    """
    left = 60 - time.time() % 60
    if left < seconds:
        time.sleep(left + 0.05)
