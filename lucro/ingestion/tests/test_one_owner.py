"""One owner: only the lifecycle owner's transitions (and its store) write its tables.

The runtime test watches every statement the whole pipeline sends — ingest, re-ingest, the
fast and the slow enrichment paths, failures, the API's and the admin's retry, a re-run,
the sweeper, a manual category through the API and through the admin — and fails on any
INSERT, UPDATE or DELETE of ``ingestion_account``, ``ingestion_batch`` or
``ingestion_transaction`` issued from a module other than ``lucro.ingestion.transitions``
or ``lucro.ingestion.store``. ORM and raw SQL alike: the check reads the SQL, then the
Python stack that sent it.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from lucro.enrichment import services, tasks
from lucro.enrichment.tests.helpers import drain, ingest, statuses
from lucro.ingestion import transitions
from lucro.ingestion.models import Batch, Transaction
from lucro.taxonomy.models import Category
from lucro.testing import ApiClient, make_batch

pytestmark = pytest.mark.django_db

OWNED = ("ingestion_account", "ingestion_batch", "ingestion_transaction")
WRITERS = ("lucro.ingestion.transitions", "lucro.ingestion.store")
# Anywhere in the statement (an upsert's INSERT sits inside a WITH); "FOR UPDATE SKIP" and
# "DO UPDATE SET" name no owned table, so they do not count.
_WRITE = re.compile(r'\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
LUCRO = Path(__file__).resolve().parents[2]


def _writer_module() -> str:
    """Return the innermost ``lucro`` module (outside tests) on the current stack."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith("lucro.") and ".tests" not in name:
            return str(name)
        frame = frame.f_back  # type: ignore[assignment]
    return "<no lucro module>"


@pytest.fixture
def writes() -> Iterator[list[tuple[str, str]]]:
    """Record (table, module) for every write to the owner's tables while the test runs."""
    seen: list[tuple[str, str]] = []

    def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        for table in {t.lower() for t in _WRITE.findall(sql)} & set(OWNED):
            seen.append((table, _writer_module()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield seen


def _strangers(seen: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(table, module) for table, module in seen if not module.startswith(WRITERS)}


def test_the_pipeline_writes_the_owners_tables_only_through_its_transitions(
    api: ApiClient,
    admin_client: Client,
    writes: list[tuple[str, str]],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(tasks, "_send_batch", lambda batch_id: None)
    monkeypatch.setattr(tasks, "_send_chunks", lambda batch_id, count: None)
    monkeypatch.setattr(tasks, "_send_rerun", lambda batch_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        # Ingest, then the fast path; a re-sent, changed row; a manual category (API).
        first = ingest(api, 6, name="ZZOWNER SHOP", merchant_name=None)
        drain(first)
        changed = make_batch(2, name="ZZOWNER SHOP CHANGED", merchant_name=None)
        assert api.post("/api/v1/integrations/transactions/", changed).status_code == 202
        txn = Transaction.objects.filter(batch_id=first).first()
        assert txn is not None
        coffee = Category.objects.get(slug="food-and-drink-coffee")
        patched = api.patch(f"/api/v1/transactions/{txn.pk}/", {"category": coffee.slug})
        assert patched.status_code == 200

        # The slow path fails until its attempts run out; the API's and the admin's retry.
        switch = tmp_path / "switch"
        switch.write_text("raise")
        monkeypatch.setenv("LUCRO_TEST_ENRICHER_SWITCH", str(switch))
        settings.ENRICHERS = ["lucro.enrichment.tests.enrichers.SwitchableEnricher"]
        settings.ENRICH_MAX_ATTEMPTS = 1
        failing = ingest(api, 3, start=100)
        drain(failing)
        assert statuses(failing) == {"failed": 3}
        assert api.post(f"/api/v1/batches/{failing}/retry/").status_code == 202
        drain(failing)
        admin_client.post(
            "/admin/ingestion/batch/",
            {"action": "retry_failed", "_selected_action": [str(failing)]},
        )
        switch.write_text("ok")
        drain(failing)
        assert Batch.objects.get(pk=failing).status == "completed"

        # A worker dies holding a claim: the sweeper takes the rows back.
        settings.ENRICH_MAX_ATTEMPTS = 3
        held = ingest(api, 2, start=200)
        transitions.transactions_claim(batch_id=held, limit=2, now=timezone.now())
        later = timezone.now() + dt.timedelta(seconds=settings.ENRICH_VISIBILITY_TIMEOUT + 1)
        assert services.sweep(now=later).returned == 2

        # A re-run, selected and enriched; a manual category through the admin.
        job = api.post("/api/v1/categorisation/rerun/", {}).json()["batch_id"]
        while not transitions.rerun_select_chunk(batch_id=job, budget=4).done:
            pass
        drain(uuid.UUID(job))
        assert Batch.objects.get(pk=job).status == "completed"
        other = Transaction.objects.exclude(pk=txn.pk).first()
        assert other is not None
        form = {
            "category": str(coffee.pk),
            "_save": "Save",
        }
        response = admin_client.post(
            f"/admin/ingestion/transaction/{other.pk}/change/", form, follow=False
        )
        assert response.status_code == 302, response.content[:2000]
        other.refresh_from_db()
        assert (other.category_id, other.category_source) == (coffee.pk, "manual")

    tables = {table for table, _ in writes}
    assert tables == set(OWNED), "the walk must have written all three tables"
    assert _strangers(writes) == set()


def test_the_check_sees_a_write_from_elsewhere(
    api: ApiClient, writes: list[tuple[str, str]]
) -> None:
    """The watcher is not blind: a write from another module is reported as a stranger."""
    batch_id = ingest(api, 1)
    services._dispatch_record([batch_id], timezone.now())  # an enrichment table: not owned
    Batch.objects.filter(pk=batch_id).update(status="processing")  # from this test module
    assert _strangers(writes) == {("ingestion_batch", "<no lucro module>")}


def test_no_module_outside_the_owner_holds_sql_that_writes_its_tables() -> None:
    """Raw SQL too: no INSERT/UPDATE/DELETE of the owner's tables in another module."""
    pattern = re.compile(
        r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(ingestion_(?:transaction|batch|account))\b",
        re.IGNORECASE,
    )
    owner = LUCRO / "ingestion"
    offenders = []
    for path in LUCRO.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        if path == owner / "transitions.py" or (owner / "store") in path.parents:
            continue
        for match in pattern.finditer(path.read_text()):
            offenders.append(f"{path.relative_to(LUCRO.parent)}: {match.group(0)}")
    assert offenders == []


def test_the_store_is_chosen_by_setting_and_checked(settings: Any) -> None:
    """One store per process, named by LUCRO_STORE; a wrong name is a configuration error."""
    from django.core.exceptions import ImproperlyConfigured

    from lucro.ingestion.store import store
    from lucro.ingestion.store.portable import PortableStore
    from lucro.ingestion.store.postgres import PostgresStore

    expected = PostgresStore if connection.vendor == "postgresql" else PortableStore
    assert type(store()) is expected
    settings.LUCRO_STORE = "lucro.ingestion.store.portable.PortableStore"
    assert type(store()) is PortableStore
    for wrong in ("lucro.ingestion.store.nowhere.Store", "lucro.ingestion.models.Batch"):
        settings.LUCRO_STORE = wrong
        with pytest.raises(ImproperlyConfigured, match="LUCRO_STORE"):
            store()


def test_a_failing_subscriber_does_not_turn_a_committed_change_into_a_500(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """Events are sent after the commit: a receiver's failure is logged, not answered."""
    from lucro.reports import receivers

    def down(**_: Any) -> None:
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(tasks, "_send_batch", lambda batch_id: None)
    batch_id = ingest(api, 1)
    txn = Transaction.objects.get(batch_id=batch_id)
    monkeypatch.setattr(receivers, "accounts_bump", down)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            f"/api/v1/transactions/{txn.pk}/", {"category": "food-and-drink-coffee"}
        )
    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.category_source == "manual"
