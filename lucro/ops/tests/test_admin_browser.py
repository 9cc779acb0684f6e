"""The admin and the API docs in a real browser: Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium, which
scripts/test-prereqs.sh installs from Debian's packages.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.db import connections

from lucro.ingestion.models import IngestionStatus, Transaction
from lucro.ops.tests.factories import failed_batch

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

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian chromium is not installed (scripts/test-prereqs.sh installs it)",
)


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context()
            context.set_default_timeout(15_000)
            yield context.new_page()
        finally:
            # The test's ORM calls inside Playwright's sync API got a connections["default"]
            # wrapper of their own (observed: another object than the suite's, on the same
            # thread), which the suite's teardown never closed: left open, it made dropping
            # the PostgreSQL test database fail ("being accessed by other users").
            connections.close_all()
            browser.close()


def test_admin_login_filter_transactions_and_retry_a_batch(live_server: Any, page: Any) -> None:
    User.objects.create_superuser("operator", "op@example.com", "pw-browser-123")
    batch = failed_batch(org_name="Org Browser", n=5, failed=2)
    url = live_server.url

    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "pw-browser-123")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "Site administration" in page.content()

    page.goto(f"{url}/admin/ingestion/transaction/")
    assert page.locator("#result_list tbody tr").count() == 5
    page.locator("#changelist-filter").get_by_role("link", name="Failed").first.click()
    page.wait_for_url("**ingestion_status__exact=failed**")
    assert page.locator("#result_list tbody tr").count() == 2

    page.goto(f"{url}/admin/ingestion/batch/")
    page.check(f"input.action-select[value='{batch.pk}']")
    page.select_option("select[name=action]", "retry_failed")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    assert "Re-queued 2 failed transaction(s)" in page.inner_text(".messagelist")
    assert not Transaction.objects.filter(
        batch=batch, ingestion_status=IngestionStatus.FAILED
    ).exists()
    if os.environ.get("LUCRO_SCREENSHOTS"):
        page.screenshot(path=os.environ["LUCRO_SCREENSHOTS"])


def _off_host(url: str) -> bool:
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


def test_api_docs_render_with_no_network_beyond_this_host(live_server: Any, page: Any) -> None:
    attempted: list[str] = []

    def loopback_only(route: Any) -> None:
        if _off_host(route.request.url):
            attempted.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    # As on a LAN or an offline machine: nothing beyond this host answers.
    page.route("**/*", loopback_only)
    page.goto(f"{live_server.url}/api/v1/docs/")

    # Swagger UI (self-hosted) fetched the schema and listed the operations.
    ingest = page.locator(".opblock-summary-path[data-path='/api/v1/integrations/transactions/']")
    ingest.first.wait_for()
    assert page.locator(".opblock").count() >= 20
    assert "Lucro API" in page.inner_text(".information-container")
    assert attempted == []
