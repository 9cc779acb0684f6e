"""Dashboard benchmark (SPEC §15): pages answer within 1 s on an account of 1 000 000
transactions.

Reuses the summary benchmark's account (``bench.summary``: 1 000 000 transactions over
2024-2025, loaded once and kept) and renders, with a logged-in test client, the overview
and the account page (summary cards, both charts, the first page of the transactions
table) for 2025, with the account's cached reports cold (its version bumped before each
call) and warm. The reference, in the same run: the REST calls the account page is built
on (summary + categories + monthly series + the first page of the transactions list), as
an API client would make them with a key.

The clock is set to 2025-12-15 while timing (time-machine), so "this month" on the
overview falls inside the loaded data. Run alone with ``python -m bench dashboard``.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

from bench.common import BenchRow, p50, p95, timed
from bench.summary import ACCOUNT_ID, ORG_NAME, _load, _setup

REPEAT = 30
TODAY = dt.datetime(2025, 12, 15, 12, tzinfo=dt.UTC)
RANGE = {"start_date": "2025-01-01", "end_date": "2025-12-15"}
TARGET = 1.0  # seconds, SPEC §15


def _ms(values: list[float]) -> str:
    return f"p50 {p50(values) * 1000:.1f} ms, p95 {p95(values) * 1000:.1f} ms"


def _dashboard_client(organization: Any) -> Any:
    """Return a test client with a dashboard session of an owner of ``organization``."""
    from lucro.tenancy.models import Membership, User
    from lucro.testing import dashboard_client

    email = "bench-dashboard@example.com"
    user = User.objects.filter(username=email).first()
    if user is None:
        user = User(username=email, email=email, first_name="Bench")
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": "owner"}
    )
    return dashboard_client(user, organization)


def run() -> list[BenchRow]:
    _setup()
    import time_machine
    from django.conf import settings
    from django.test import Client

    from lucro.enrichment import tasks
    from lucro.ingestion.models import Account
    from lucro.reports.cache import accounts_touched
    from lucro.tenancy.services import api_key_create, organization_get_or_create

    if not settings.IS_POSTGRES:
        raise SystemExit("bench.dashboard needs DATABASE_URL to point at PostgreSQL")
    tasks._send_batch = lambda batch_id: None
    organization = organization_get_or_create(name=ORG_NAME)
    how, _, _ = _load(organization)
    account = Account.objects.get(organization=organization, account_id=ACCOUNT_ID)
    page = f"/app/accounts/{ACCOUNT_ID}/"
    headers = {"Authorization": f"Token {api_key_create(organization=organization).raw_key}"}
    api = Client()
    rest = [
        (f"/api/v1/reports/accounts/{ACCOUNT_ID}/summary/", RANGE),
        (f"/api/v1/reports/accounts/{ACCOUNT_ID}/categories/", {**RANGE, "level": "primary"}),
        (f"/api/v1/reports/accounts/{ACCOUNT_ID}/timeseries/", {**RANGE, "interval": "month"}),
        ("/api/v1/transactions/", {**RANGE, "account_id": ACCOUNT_ID, "limit": "25"}),
    ]

    with time_machine.travel(TODAY, tick=True):
        client = _dashboard_client(organization)

        def get(path: str, params: dict[str, str] | None = None) -> None:
            response = client.get(path, params or {})
            assert response.status_code == 200, (path, response.status_code)

        def cold(fn: Any) -> Any:
            def call() -> None:
                accounts_touched([account.pk])  # the account's cached reports are stale
                fn()

            return call

        def rest_calls() -> None:
            for path, params in rest:
                assert api.get(path, params, headers=headers).status_code == 200

        get("/app/")  # warm the process (templates, imports), untimed
        overview_cold = timed(cold(lambda: get("/app/")), REPEAT)
        overview_warm = timed(lambda: get("/app/"), REPEAT)
        account_cold = timed(cold(lambda: get(page, RANGE)), REPEAT)
        account_warm = timed(lambda: get(page, RANGE), REPEAT)
        html = client.get(page, RANGE).content.decode()
        found = re.search(r'<a href="\?([^"]+)"[^>]*id="next-page"', html)
        assert found, "the account page has no next page"
        cursor_page = unescape(found.group(1))
        deep = timed(lambda: get(f"{page}?{cursor_page}"), REPEAT)
        # A search no row matches walks the whole range (a substring, no index): the worst
        # case of the table, measured rather than hidden.
        no_match = timed(lambda: get(page, {**RANGE, "search": "no such merchant"}), 5)
        rest_cold = timed(cold(rest_calls), REPEAT)
        rest_warm = timed(rest_calls, REPEAT)

    def verdict(values: list[float]) -> str:
        return "PASS" if p95(values) <= TARGET else "FAIL"

    return [
        BenchRow(
            f"dashboard fixture: bench.summary's 1,000,000-txn account, {how}", "-", "-", "-", "-"
        ),
        BenchRow(
            "dashboard overview (this month), reports cold",
            _ms(overview_cold),
            "p95 ≤ 1 s",
            "-",
            verdict(overview_cold),
        ),
        BenchRow(
            "dashboard overview, warm", _ms(overview_warm), "p95 ≤ 1 s", "-", verdict(overview_warm)
        ),
        BenchRow(
            "dashboard account page (2025, charts + 25 rows), reports cold",
            _ms(account_cold),
            "p95 ≤ 1 s",
            f"REST summary+categories+series+list, cold: {_ms(rest_cold)}",
            verdict(account_cold),
        ),
        BenchRow(
            "dashboard account page, warm",
            _ms(account_warm),
            "p95 ≤ 1 s",
            f"same REST calls, warm: {_ms(rest_warm)}",
            verdict(account_warm),
        ),
        BenchRow(
            "dashboard account page 2 (keyset cursor), warm",
            _ms(deep),
            "p95 ≤ 1 s",
            "-",
            verdict(deep),
        ),
        BenchRow(
            "dashboard account page, search matching nothing in 2025 (5 runs)",
            _ms(no_match),
            "p95 ≤ 1 s",
            "-",
            verdict(no_match),
        ),
    ]
