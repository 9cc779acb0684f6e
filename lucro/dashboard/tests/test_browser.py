"""The dashboard drawn in a real browser (Debian's Chromium, Playwright): one browser for
the module and one walk through the pages, to keep CI's time (each page load costs).

Screenshots of each page at desktop and phone width go to var/screenshots/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from lucro.dashboard.tests.conftest import PASSWORD, fill, member
from lucro.ingestion.models import CategorySource, Transaction
from lucro.taxonomy.models import Category
from lucro.tenancy.services import organization_get_or_create
from lucro.testing import chromium, loopback_only, needs_chromium

# The taxonomy the migrations seed must survive the flushes of earlier live-server tests.
pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = settings.BASE_DIR / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 760}
DRAWN = "sel => [...document.querySelectorAll(sel)].every(c => Chart.getChart(c) !== undefined)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def _context(browser: Any, viewport: dict[str, int], origin: str, **options: Any) -> Any:
    """Return a page whose requests are logged and held to this machine."""
    context = browser.new_context(viewport=viewport, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.requests = []  # every URL the page asked for
    page.on("request", lambda request: page.requests.append(request.url))
    page.off_host = loopback_only(page)
    return page


def _login(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/app/login/")
    page.fill("#id_email", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/app/")


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _stays_on(page: Any, url: str) -> None:
    assert page.off_host == []
    assert all(u.startswith(url) or u.startswith(("data:", "blob:")) for u in page.requests), [
        u for u in page.requests if not u.startswith(url)
    ]


def test_dashboard_in_chromium(live_server: Any, browser: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("lucro.enrichment.tasks._send_batch", lambda batch_id: None)
    organization = organization_get_or_create(name="Browser Org")
    fill(organization)
    member(organization, "owner", "owner@browser.example", PASSWORD)
    member(organization, "analyst", "analyst@browser.example", PASSWORD)
    url = live_server.url
    page = _context(browser, DESKTOP, url)

    # Log in; the overview lists the account and draws its chart.
    _login(page, url, "owner@browser.example")
    assert "Checking" in page.inner_text("#accounts")  # acc_1, by its name
    page.wait_for_function(DRAWN, arg="canvas[data-chart]")
    _shot(page, "overview-desktop")

    # The account page draws both charts and the first 25 rows of the table.
    page.goto(f"{url}/app/accounts/acc_1/")
    page.wait_for_function(DRAWN, arg="canvas[data-chart]")
    assert page.locator("canvas[data-chart]").count() == 2
    assert page.locator("#transactions tbody tr").count() == 25
    assert "2,500.00 USD" in (page.text_content("#months-table") or "")  # in a closed <details>
    _shot(page, "account-desktop")

    # Paging: the next page (htmx, keyset cursor) holds the other 6 of 31 rows.
    first_ids = page.eval_on_selector_all("#transactions tbody tr", "rows => rows.map(r => r.id)")
    page.click("#next-page")
    page.wait_for_function("() => document.querySelectorAll('#transactions tbody tr').length === 6")
    assert "cursor=" in page.url
    later_ids = page.eval_on_selector_all("#transactions tbody tr", "rows => rows.map(r => r.id)")
    assert not set(first_ids) & set(later_ids)

    # Inline correction: the row's category changes, and so does the summary's breakdown.
    row_id = later_ids[0]
    coffee = Category.objects.get(pk=Transaction.objects.get(pk=row_id[2:]).category_id)
    target = (
        Category.objects.select_related("parent")
        .filter(parent__isnull=False)
        .exclude(parent_id=coffee.parent_id)
        .first()
    )
    assert target is not None and target.parent is not None
    # The breakdown is by primary category: the new one's primary appears in it.
    assert target.parent.name not in (page.text_content("#categories-table") or "")
    page.click(f"#{row_id} a.change")
    page.select_option(f"#{row_id} select[name=category]", target.slug)
    page.click(f"#{row_id} button[type=submit]")
    page.wait_for_function(
        "([id, name]) => document.querySelector('#' + id + ' .cat-name')?.textContent === name",
        arg=[row_id, target.name],
    )
    page.wait_for_function(
        "name => document.querySelector('#categories-table')?.textContent.includes(name)",
        arg=target.parent.name,
    )
    page.wait_for_function(DRAWN, arg="#reports canvas[data-chart]")  # redrawn after the swap
    changed = Transaction.objects.get(pk=row_id[2:])
    assert (changed.category_id, changed.category_source) == (target.pk, CategorySource.MANUAL)

    # A budget is created and shows its progress.
    page.goto(f"{url}/app/budgets/")
    page.fill("#id_name", "Coffee budget")
    page.fill("#id_amount", "250")
    page.click("#budget-form button[type=submit]")
    page.wait_for_selector("text=Budget 'Coffee budget' created.")
    progress = page.locator("progress[aria-label^='Coffee budget']")
    assert float(progress.get_attribute("value") or 0) > 0
    _shot(page, "budgets-desktop")

    page.goto(f"{url}/app/batches/")
    assert page.locator("#batches tbody tr").count() == 1
    _shot(page, "batches-desktop")
    _stays_on(page, url)

    # At 360 px wide (a phone), no page scrolls sideways.
    phone = _context(browser, PHONE, url, storage_state=page.context.storage_state())
    for name, path in [
        ("overview", "/app/"),
        ("account", "/app/accounts/acc_1/"),
        ("budgets", "/app/budgets/"),
        ("batches", "/app/batches/"),
    ]:
        phone.goto(f"{url}{path}")
        if name in ("overview", "account"):
            phone.wait_for_function(DRAWN, arg="canvas[data-chart]")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
        _shot(phone, f"{name}-phone")
    _stays_on(phone, url)

    # An analyst sees no budget editing and no batches.
    analyst = _context(browser, DESKTOP, url)
    _login(analyst, url, "analyst@browser.example")
    assert analyst.locator("nav a", has_text="Batches").count() == 0
    analyst.goto(f"{url}/app/budgets/")
    assert "Coffee budget" in analyst.inner_text("main")
    assert analyst.locator("#budget-form").count() == 0
    assert analyst.locator("a", has_text="Edit").count() == 0
    _shot(analyst, "budgets-analyst-desktop")
    _stays_on(analyst, url)
