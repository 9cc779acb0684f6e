"""The dashboard with Django's test client: login, limits, roles, tenancy, corrections,
forms. The browser tests (test_browser.py) show the same pages drawn in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.test import Client
from django.utils import timezone

from lucro.audit.models import AuditEvent
from lucro.budgets.models import Alert, Budget
from lucro.core.currencies import money_display
from lucro.dashboard.tests.conftest import PASSWORD, World, member
from lucro.ingestion.models import CategorySource, Transaction
from lucro.reports.tests.conftest import ingest
from lucro.taxonomy.models import Category
from lucro.tenancy.models import Organization, User
from lucro.testing import wait_for_a_fresh_window

Login = Callable[[User, Organization], Client]


def test_money_reads_in_minor_units_with_the_code() -> None:
    assert money_display(Decimal("-99.6700"), "USD") == "-99.67 USD"
    assert money_display("1234567.5", "EUR") == "1,234,567.50 EUR"
    assert money_display(Decimal("1500.0000"), "JPY") == "1,500 JPY"
    assert money_display(Decimal("-0.001"), "KWD") == "-0.001 KWD"
    assert money_display(Decimal("-0.0001"), "USD") == "0.00 USD"


def test_login_with_csrf_then_logout_by_post_only(world: World) -> None:
    member(world.a, "admin", "person@a.example", PASSWORD)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/app/login/")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    body = {"email": "person@a.example", "password": PASSWORD}

    assert client.post("/app/login/", body).status_code == 403  # no CSRF token
    wrong = client.post("/app/login/", {**body, "password": "nope", "csrfmiddlewaretoken": token})
    assert wrong.status_code == 400
    assert "The email or the password is wrong." in wrong.content.decode()

    done = client.post("/app/login/?next=/app/budgets/", {**body, "csrfmiddlewaretoken": token})
    assert done.status_code == 302 and done["Location"] == "/app/budgets/"
    overview = client.get("/app/")
    assert overview.status_code == 200
    assert "Dash A" in overview.content.decode() and "acc_1" in overview.content.decode()
    assert AuditEvent.objects.filter(action="auth.login", organization=world.a).exists()
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()

    token = client.cookies["csrftoken"].value
    assert client.get("/app/logout/").status_code == 405
    assert client.post("/app/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get("/app/")["Location"].startswith("/app/login/?next=/app/")


def test_login_redirects_to_a_safe_next_only(world: World) -> None:
    member(world.a, "owner", "next@a.example", PASSWORD)
    client = Client()
    body = {"email": "next@a.example", "password": PASSWORD}
    assert (
        client.post("/app/login/", {**body, "next": "/app/budgets/"})["Location"] == "/app/budgets/"
    )
    client = Client()
    evil = client.post("/app/login/", {**body, "next": "https://evil.example/"})
    assert evil["Location"] == "/app/"


def test_login_rate_limit_is_shared_with_the_api(world: World, settings: object) -> None:
    settings.RATE_LIMIT_LOGIN_PER_MINUTE = 2  # type: ignore[attr-defined]
    wait_for_a_fresh_window()  # the three logins and the API's in one window
    client = Client()
    body = {"email": "nobody@a.example", "password": "wrong-password-1"}
    assert client.post("/app/login/", body).status_code == 400
    assert client.post("/app/login/", body).status_code == 400
    refused = client.post("/app/login/", body)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Too many" in refused.content.decode()
    # The same counters as POST /api/v1/auth/token/: the email is over its limit there too.
    api = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert api.status_code == 429


def test_a_removed_membership_ends_the_session(world: World, logged_in: Login) -> None:
    client = logged_in(world.owner, world.a)
    assert client.get("/app/").status_code == 200
    world.owner.memberships.all().delete()
    assert client.get("/app/")["Location"].startswith("/app/login/")


def test_analyst_sees_no_budget_editing_and_is_refused_server_side(
    world: World, logged_in: Login
) -> None:
    analyst = logged_in(world.analyst, world.a)
    page = analyst.get("/app/budgets/").content.decode()
    assert "New budget" not in page and 'id="budget-form"' not in page
    assert "Batches" not in analyst.get("/app/").content.decode()
    body = {"name": "Sneaky", "period": "monthly", "amount": "100"}
    assert analyst.post("/app/budgets/", body).status_code == 403
    assert not Budget.objects.filter(name="Sneaky").exists()
    assert analyst.get("/app/batches/").status_code == 403
    budget = Budget.objects.create(
        organization=world.a, name="Food", amount=Decimal(100), currency="USD",
        starts_on="2020-01-01",
    )  # fmt: skip
    assert analyst.get(f"/app/budgets/{budget.pk}/edit/").status_code == 403
    assert analyst.post(f"/app/budgets/{budget.pk}/edit/", body).status_code == 403

    owner = logged_in(world.owner, world.a)
    assert 'id="budget-form"' in owner.get("/app/budgets/").content.decode()
    assert owner.get("/app/batches/").status_code == 200


def test_another_tenants_pages_are_not_found(world: World, logged_in: Login) -> None:
    outsider = logged_in(world.outsider, world.b)
    assert outsider.get("/app/accounts/acc_b/").status_code == 200
    assert outsider.get("/app/accounts/acc_1/").status_code == 404  # Dash A's account
    txn = Transaction.objects.filter(organization=world.a).first()
    assert txn is not None
    assert (
        outsider.post(f"/app/transactions/{txn.pk}/category/", {"category": ""}).status_code == 404
    )
    page = outsider.get("/app/").content.decode()
    assert "acc_b" in page and "acc_1" not in page
    # B's owner may edit budgets and retry batches, but only B's: A's are as missing.
    budget = Budget.objects.create(
        organization=world.a, name="Food", amount=Decimal(10), currency="USD",
        starts_on="2020-01-01",
    )  # fmt: skip
    edit = f"/app/budgets/{budget.pk}/edit/"
    assert outsider.get(edit).status_code == 404
    assert outsider.post(edit, {"name": "Mine", "amount": "1"}).status_code == 404
    budget.refresh_from_db()
    assert budget.name == "Food"
    Transaction.objects.filter(pk=txn.pk).update(ingestion_status="failed")
    assert outsider.post(f"/app/batches/{txn.batch_id}/retry/").status_code == 404
    txn.refresh_from_db()
    assert txn.ingestion_status == "failed"
    assert str(txn.batch_id) not in outsider.get("/app/batches/").content.decode()


def test_account_page_shows_reports_and_pages_by_keyset(world: World, logged_in: Login) -> None:
    client = logged_in(world.owner, world.a)
    first = client.get("/app/accounts/acc_1/")
    html = first.content.decode()
    assert first.status_code == 200
    assert 'data-chart="chart-categories"' in html and 'data-chart="chart-months"' in html
    assert "2,500.00 USD" in html  # the salary, as people read money
    assert 'id="categories-table"' in html and 'id="months-table"' in html
    assert html.count('<tr id="t-') == 25
    nxt = first.context["next_query"]
    assert nxt and "cursor=" in nxt
    second = client.get(
        f"/app/accounts/acc_1/?{nxt}", headers={"HX-Request": "true", "HX-Target": "transactions"}
    )
    rows = second.content.decode()
    assert second.status_code == 200 and "<html" not in rows  # only the table's part
    assert rows.count('<tr id="t-') == 6
    ids = {t["id"] for t in first.context["transactions"]}
    assert not ids & {t["id"] for t in second.context["transactions"]}


def test_filters_and_bad_parameters_answer_a_page_not_a_500(world: World, logged_in: Login) -> None:
    client = logged_in(world.owner, world.a)
    salary = client.get("/app/accounts/acc_1/", {"search": "", "category": "income", "status": ""})
    assert [t["transaction_id"] for t in salary.context["transactions"]] == ["acc_1_salary"]
    bad = client.get("/app/accounts/acc_1/", {"start_date": "yesterday", "end_date": "2025-01-01"})
    assert bad.status_code == 400 and "start_date" in bad.content.decode()
    assert client.get("/app/accounts/acc_1/", {"category": "no-such"}).status_code == 400
    assert client.get("/app/accounts/acc_1/", {"cursor": "garbage"}).status_code == 400
    assert client.get("/app/budgets/not-a-uuid/edit/").status_code == 404


def test_inline_correction_goes_through_the_service(world: World, logged_in: Login) -> None:
    client = logged_in(world.analyst, world.a)  # analysts may set a category (SPEC §9)
    txn = Transaction.objects.filter(organization=world.a, transaction_id="acc_1_tx_0").get()
    target = Category.objects.filter(parent__isnull=False).exclude(pk=txn.category_id).first()
    assert target is not None
    url = f"/app/transactions/{txn.pk}/category/"
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 200

    row = client.post(url, {"category": target.slug}, headers={"HX-Request": "true"})
    assert row.status_code == 200
    assert row["HX-Trigger"] == "lucro:categorised"
    assert target.name in row.content.decode()
    txn.refresh_from_db()
    assert txn.category_id == target.pk and txn.category_source == CategorySource.MANUAL
    event = AuditEvent.objects.get(action="transaction.categorised", object_id=str(txn.pk))
    assert event.changes["category"]["to"] == target.slug

    # Without htmx: back to where the form came from; an unknown slug is a form error.
    plain = client.post(url, {"category": "", "next": "/app/accounts/acc_1/"})
    assert plain.status_code == 302 and plain["Location"] == "/app/accounts/acc_1/"
    txn.refresh_from_db()
    assert txn.category_id is None
    assert client.post(url, {"category": "no-such-slug"}).status_code == 400


def test_budget_created_and_edited_with_the_apis_validation(world: World, logged_in: Login) -> None:
    client = logged_in(world.owner, world.a)
    bad = client.post("/app/budgets/", {"name": "Coffee", "period": "monthly", "amount": "12.345"})
    assert bad.status_code == 400
    assert "At most 2 decimal places" in bad.content.decode()
    worse = client.post(
        "/app/budgets/",
        {"name": "Coffee", "period": "monthly", "amount": "abc", "accounts": ["nope"]},
    )
    assert worse.status_code == 400
    assert not Budget.objects.filter(organization=world.a).exists()

    made = client.post(
        "/app/budgets/",
        {"name": "Coffee", "period": "monthly", "amount": "100", "thresholds": "0.5, 1",
         "accounts": ["acc_1"]},
    )  # fmt: skip
    assert made.status_code == 302
    budget = Budget.objects.get(organization=world.a, name="Coffee")
    assert budget.threshold_values == [Decimal("0.5"), Decimal(1)]
    assert AuditEvent.objects.filter(action="budget.created").exists()
    page = client.get("/app/budgets/").content.decode()
    assert "Coffee" in page and "100.00 USD" in page and "<progress" in page

    edit = client.post(
        f"/app/budgets/{budget.pk}/edit/",
        {"name": "Coffee+", "period": "monthly", "amount": "150", "accounts": []},
    )
    assert edit.status_code == 302
    budget.refresh_from_db()
    assert (budget.name, budget.amount) == ("Coffee+", Decimal(150))


def test_batches_page_lists_counts_and_retries(world: World, logged_in: Login) -> None:
    txn = Transaction.objects.filter(organization=world.a).first()
    assert txn is not None
    Transaction.objects.filter(pk=txn.pk).update(ingestion_status="failed", failure_reason="boom")
    client = logged_in(world.owner, world.a)
    page = client.get("/app/batches/")
    assert "boom" in page.content.decode()
    assert page.context["batches"][0]["counts"]["failed"] == 1
    retry = client.post(f"/app/batches/{txn.batch_id}/retry/")
    assert retry.status_code == 302
    assert AuditEvent.objects.filter(action="batch.retried").exists()
    txn.refresh_from_db()
    assert txn.ingestion_status == "pending"


@pytest.mark.parametrize("path", ["/app/", "/app/budgets/", "/app/accounts/acc_1/"])
def test_pages_need_a_login(world: World, path: str) -> None:
    assert Client().get(path)["Location"].startswith("/app/login/?next=")


def test_admin_shows_money_in_minor_units(world: World) -> None:
    operator = AuthUser.objects.create_superuser("op", "op@example.com", None)
    client = Client()
    client.force_login(operator)
    page = client.get("/admin/ingestion/transaction/").content.decode()
    assert "-12.50 USD" in page and "-12.5000" not in page


HOSTILE = ["\x00", "😀", "9" * 40, "2101-01-01", "٢٠٢٥-٠١-٠١", "%ff", "' OR 1=1 --", "a" * 5000]


def test_hostile_input_is_a_page_never_a_500(world: World, logged_in: Login) -> None:
    client = logged_in(world.owner, world.a)
    txn = Transaction.objects.filter(organization=world.a).first()
    assert txn is not None
    for value in HOSTILE:
        # The account page is the one that reads query parameters.
        for name in ("start_date", "end_date", "search", "category", "status", "cursor"):
            answer = client.get("/app/accounts/acc_1/", {name: value})
            assert answer.status_code < 500, (name, value)
        assert client.get(f"/app/accounts/{value[:200]}/").status_code in (400, 404)
        assert client.post(f"/app/transactions/{value[:200]}/category/").status_code == 404
        posted = client.post(
            "/app/budgets/",
            {"name": value, "amount": value, "period": value, "thresholds": value},
        )
        assert posted.status_code == 400, value
    for value in HOSTILE[:3]:  # each login costs an Argon2 hash
        assert client.post("/app/login/", {"email": value, "password": value}).status_code == 400
    assert not Budget.objects.filter(organization=world.a).exists()


def test_alerts_are_marked_read_by_any_member_of_their_organization(
    world: World, logged_in: Login
) -> None:
    budget = Budget.objects.create(
        organization=world.a, name="Food", amount=Decimal(10), currency="USD",
        starts_on="2020-01-01",
    )  # fmt: skip
    alert = Alert.objects.create(
        organization=world.a, budget=budget, period_start="2020-01-01", period_end="2020-01-31",
        threshold=Decimal("0.8"), spent=Decimal("8.5"), currency="USD",
    )  # fmt: skip
    assert "8.50 USD" in logged_in(world.owner, world.a).get("/app/").content.decode()
    outsider = logged_in(world.outsider, world.b)
    assert outsider.post(f"/app/alerts/{alert.pk}/read/").status_code == 404
    analyst = logged_in(world.analyst, world.a)
    assert analyst.post(f"/app/alerts/{alert.pk}/read/").status_code == 302
    alert.refresh_from_db()
    assert alert.read_at is not None


def test_vendored_files_name_no_missing_source_map() -> None:
    # Production's collectstatic (whitenoise's manifest storage) follows a sourceMappingURL
    # comment and fails on the map, which is not shipped (scripts/vendor-static.sh).
    vendor = settings.BASE_DIR / "lucro" / "dashboard" / "static" / "dashboard" / "vendor"
    shipped = [p for p in vendor.rglob("*") if p.suffix in (".js", ".css")]
    assert len(shipped) == 3
    assert not [p for p in shipped if "sourceMappingURL=" in p.read_text()]


def test_overview_notes_what_it_could_not_convert(world: World, logged_in: Login) -> None:
    today = timezone.now().date().isoformat()
    ingest(world.a, [{"transaction_id": "k1", "amount": "-1500", "date": today}], "acc_kes", "KES")
    page = logged_in(world.owner, world.a).get("/app/").content.decode()
    # No KES rate in this database: the totals stay in USD and the KES spending is listed.
    assert 'id="unconverted"' in page
    assert "-1,500.00 KES over 1 transaction" in page
