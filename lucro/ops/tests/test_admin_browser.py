"""The admin and the API docs in a real browser: Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium, which
scripts/test-prereqs.sh installs from Debian's packages.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from lucro.ingestion.models import IngestionStatus, Transaction
from lucro.ops.tests.factories import failed_batch
from lucro.testing import chromium, loopback_only, needs_chromium

pytestmark = needs_chromium


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        yield context.new_page()


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


def test_api_docs_render_with_no_network_beyond_this_host(live_server: Any, page: Any) -> None:
    # As on a LAN or an offline machine: nothing beyond this host answers.
    attempted = loopback_only(page)
    page.goto(f"{live_server.url}/api/v1/docs/")

    # Swagger UI (self-hosted) fetched the schema and listed the operations.
    ingest = page.locator(".opblock-summary-path[data-path='/api/v1/integrations/transactions/']")
    ingest.first.wait_for()
    assert page.locator(".opblock").count() >= 20
    assert "Lucro API" in page.inner_text(".information-container")
    assert attempted == []
