from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lucro.enrichment.models import Rule
from lucro.enrichment.rules_version import rules_version_current
from lucro.ingestion.models import IngestionStatus, Transaction
from lucro.ops.tests.factories import failed_batch
from lucro.taxonomy.models import Category
from lucro.tenancy.models import ApiKey, Organization
from lucro.tenancy.services import api_key_hash

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = User.objects.create_superuser("ops", "ops@example.com", "pw-ops-123")
    client.force_login(user)
    return client


def test_every_changelist_opens(admin_client: Client) -> None:
    failed_batch()
    for model in (
        "tenancy/organization",
        "tenancy/apikey",
        "ingestion/account",
        "ingestion/batch",
        "ingestion/transaction",
        "taxonomy/category",
        "enrichment/rule",
        "fx/exchangerate",
    ):
        response = admin_client.get(f"/admin/{model}/")
        assert response.status_code == 200, model


def test_api_key_add_shows_the_raw_key_once(admin_client: Client) -> None:
    organization = Organization.objects.create(name="Org Keys")
    response = admin_client.post(
        "/admin/tenancy/apikey/add/", {"organization": str(organization.pk), "name": "ci"}
    )
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    raw = next(word for m in shown for word in m.split() if word.startswith("lk_"))
    key = ApiKey.objects.get(organization=organization)
    assert key.hashed_key == api_key_hash(raw)
    first = admin_client.get(f"/admin/tenancy/apikey/{key.pk}/change/").content.decode()
    assert raw in first  # the message, on the page the admin redirects to
    again = admin_client.get(f"/admin/tenancy/apikey/{key.pk}/change/").content.decode()
    assert raw not in again
    assert key.hashed_key not in first + again


def test_api_key_revoke_action(admin_client: Client) -> None:
    from lucro.tenancy.services import api_key_create

    created = api_key_create(organization=Organization.objects.create(name="Org Rev"))
    admin_client.post(
        "/admin/tenancy/apikey/",
        {"action": "revoke_selected", "_selected_action": [str(created.api_key.pk)]},
    )
    created.api_key.refresh_from_db()
    assert created.api_key.revoked_at is not None


def test_rule_edits_bump_the_matcher_version(admin_client: Client) -> None:
    category = Category.objects.filter(parent__isnull=False).first()
    assert category is not None
    before = rules_version_current()
    response = admin_client.post(
        "/admin/enrichment/rule/add/",
        {
            "category": str(category.pk),
            "pattern": "acme coffee",
            "field": "either",
            "match_type": "contains",
            "direction": "any",
            "priority": "60",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert rules_version_current() > before
    rule = Rule.objects.get(pattern="acme coffee")
    middle = rules_version_current()
    admin_client.post(f"/admin/enrichment/rule/{rule.pk}/delete/", {"post": "yes"})
    assert not Rule.objects.filter(pk=rule.pk).exists()
    assert rules_version_current() > middle


def test_batch_retry_action_requeues_failed_rows(admin_client: Client) -> None:
    batch = failed_batch()
    page = admin_client.get("/admin/ingestion/batch/").content.decode()
    assert "0 / 0 / 2 / 2" in page  # pending / processing / completed / failed
    response = admin_client.post(
        "/admin/ingestion/batch/", {"action": "retry_failed", "_selected_action": [str(batch.pk)]}
    )
    assert response.status_code == 302
    statuses = set(
        Transaction.objects.filter(batch=batch).values_list("ingestion_status", flat=True)
    )
    assert IngestionStatus.FAILED not in statuses
    assert IngestionStatus.PENDING in statuses


def test_batch_retry_action_goes_through_the_api_service(
    admin_client: Client, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    """Dispatch recorded, summaries invalidated, batch queued: the same as POST …/retry/."""
    from lucro.enrichment import tasks
    from lucro.enrichment.models import BatchDispatch
    from lucro.reports.cache import account_version

    batch = failed_batch()
    account = Transaction.objects.filter(batch=batch).values_list("account_id", flat=True)[0]
    version = account_version(account)
    sent: list[str] = []
    monkeypatch.setattr(tasks, "_send_batch", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/ingestion/batch/",
            {"action": "retry_failed", "_selected_action": [str(batch.pk)]},
        )
    assert response.status_code == 302
    assert BatchDispatch.objects.filter(batch_id=batch.pk).exists()
    assert account_version(account) != version
    assert sent == [str(batch.pk)]


def test_transaction_changelist_never_counts_the_whole_table(admin_client: Client) -> None:
    failed_batch(n=6)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(
            "/admin/ingestion/transaction/", {"ingestion_status__exact": "failed", "q": "AMAZON"}
        )
    assert response.status_code == 200
    assert "2 transactions" in response.content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the paginator counts (capped)"
    assert all("LIMIT" in sql.upper() for sql in counts), counts
    # One query for the page, with account and category joined in.
    page = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "ingestion_transaction"' in q["sql"] and "COUNT(" not in q["sql"]
    ]
    assert len(page) == 1 and "JOIN" in page[0].upper()


def test_transaction_raw_fields_are_read_only(admin_client: Client) -> None:
    batch = failed_batch()
    txn = Transaction.objects.filter(batch=batch).first()
    assert txn is not None
    page = admin_client.get(f"/admin/ingestion/transaction/{txn.pk}/change/").content.decode()
    assert 'name="amount"' not in page
    assert 'name="category"' in page


def test_account_rerun_action_opens_the_apis_job_and_queues_its_selection(
    admin_client: Client, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    """The admin's re-run is POST /api/v1/categorisation/rerun/: a tracked job, queued."""
    from lucro.enrichment import tasks
    from lucro.enrichment.models import BatchDispatch
    from lucro.ingestion.models import Account, Batch

    batch = failed_batch()
    account = Account.objects.get(organization=batch.organization)
    sent: list[str] = []
    monkeypatch.setattr(tasks, "_send_rerun", sent.append)
    action = {"action": "rerun_categorisation", "_selected_action": [str(account.pk)]}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/ingestion/account/", action)
    assert response.status_code == 302
    job = Batch.objects.get(kind=Batch.Kind.RERUN)
    assert job.scope is not None and job.scope["account_ids"] == [account.account_id]
    assert sent == [str(job.pk)]
    assert BatchDispatch.objects.filter(batch_id=job.pk).exists()
    # A second one over the same accounts is refused while the first runs, as in the API.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/ingestion/account/", action, follow=True)
    last = list(get_messages(response.wsgi_request))[-1]
    assert "overlapping scope is still running" in str(last)
    assert Batch.objects.filter(kind=Batch.Kind.RERUN).count() == 1
