"""Learning from corrections: each organization's merchant memory (issue 12, item 5).

Corrections go through the API's PATCH (or the admin's edit), whose event is sent on commit:
the tests run those callbacks (``django_capture_on_commit_callbacks``) and enrich in-process.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from lucro.enrichment import enrichers, memory, tasks
from lucro.enrichment.memory import MemoryEnricher, merchant_key
from lucro.enrichment.models import MerchantMemory, MerchantMemoryVersion
from lucro.enrichment.tests.helpers import add_rule, category, drain, ingest
from lucro.ingestion.models import Batch, Transaction
from lucro.ingestion.store import Row
from lucro.testing import ApiClient

pytestmark = pytest.mark.django_db
COFFEE = "food-and-drink-coffee"
GROCERIES = "food-and-drink-groceries"
LINE = {"merchant_name": None, "name": "POS PURCHASE QQBEANERY 05/10 CARD 1234"}


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Start from empty per-process caches (a rolled-back test may leave stale entries).

    The global model stays silent (it would guess at the made-up merchants): these tests are
    about what the memory answers.
    """
    monkeypatch.setattr(enrichers, "_current", None)
    monkeypatch.setattr(memory, "_memories", {})
    settings.MODEL_MIN_CONFIDENCE = 1.01


def settled(api: ApiClient, n: int, *, start: int, **kwargs: Any) -> list[Transaction]:
    """Ingest ``n`` lines and enrich them; return their rows."""
    batch_id = ingest(api, n, start=start, **kwargs)
    drain(batch_id)
    return list(Transaction.objects.filter(batch_id=batch_id).order_by("transaction_id"))


def correct(api: ApiClient, txn: Transaction, slug: str | None, capture: Any) -> None:
    """Set a category by hand through the API, running its on-commit events."""
    with capture(execute=True):
        response = api.patch(f"/api/v1/transactions/{txn.pk}/", {"category": slug})
    assert response.status_code == 200, response.content


def categories(rows: list[Transaction]) -> set[tuple[str | None, str, str | None]]:
    out = set()
    for row in Transaction.objects.filter(pk__in=[r.pk for r in rows]):
        slug = row.category.slug if row.category is not None else None
        out.add((slug, row.category_source, row.category_model_version))
    return out


def test_merchant_key_drops_dates_references_cards_and_case() -> None:
    assert merchant_key("POS PURCHASE QQBEANERY 05/10 CARD 1234", None) == "pos purchase qqbeanery"
    assert merchant_key("pos  purchase QQBeanery 11/12 REF: 88213", "") == "pos purchase qqbeanery"
    assert merchant_key("ignored 123", "H&M Store #0042") == "h&m store"
    assert merchant_key("STRASSE CAFÉ", None) == "strasse café"
    assert merchant_key("12/10 8812", None) is None
    assert merchant_key(None, "   ") is None


def test_two_corrections_in_org_a_teach_org_a_and_nothing_in_org_b(
    api: ApiClient, other_api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    taught = settled(api, 2, start=0, **LINE)
    b_before = settled(other_api, 2, start=0, **LINE)
    assert categories(taught) == categories(b_before) == {(None, "none", None)}
    for txn in taught:
        correct(api, txn, COFFEE, django_capture_on_commit_callbacks)

    # Later lines of the merchant (another date, another card) follow, in A only.
    later = {"merchant_name": None, "name": "POS PURCHASE QQBeanery 11/12 CARD 9876"}
    a_new = settled(api, 3, start=10, **later)
    b_new = settled(other_api, 3, start=10, **later)

    version = MerchantMemoryVersion.objects.get(organization=api.organization).version
    assert categories(a_new) == {(COFFEE, "model", f"memory:{version}")}
    assert {
        t.category_confidence for t in Transaction.objects.filter(pk__in=[t.pk for t in a_new])
    } == {1.0}
    assert categories(b_new) == categories(b_before) == {(None, "none", None)}
    assert not MerchantMemory.objects.filter(organization=other_api.organization).exists()
    assert not MerchantMemoryVersion.objects.filter(organization=other_api.organization).exists()
    # Money in is another direction: a refund from the merchant is not taught by purchases.
    refund = settled(api, 1, start=20, amount="4.50", **later)
    assert categories(refund) == {(None, "none", None)}


def test_org_b_keeps_its_rules_where_org_a_learned_otherwise(
    api: ApiClient, other_api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    add_rule("qqbeanery", GROCERIES)  # a global rule both organizations see
    for txn in settled(api, 2, start=0, **LINE):
        correct(api, txn, COFFEE, django_capture_on_commit_callbacks)

    assert {s for s, *_ in categories(settled(api, 1, start=10, **LINE))} == {COFFEE}
    assert categories(settled(other_api, 1, start=10, **LINE)) == {(GROCERIES, "rule", None)}


def test_one_correction_is_not_enough_by_default(
    api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    correct(api, settled(api, 1, start=0, **LINE)[0], COFFEE, django_capture_on_commit_callbacks)

    assert MerchantMemory.objects.get(organization=api.organization).corrections == 1
    assert categories(settled(api, 1, start=10, **LINE)) == {(None, "none", None)}


def test_the_threshold_is_a_setting(
    api: ApiClient, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MEMORY_MIN_CORRECTIONS = 1
    correct(api, settled(api, 1, start=0, **LINE)[0], COFFEE, django_capture_on_commit_callbacks)

    assert {s for s, *_ in categories(settled(api, 1, start=10, **LINE))} == {COFFEE}


def test_a_contradicting_correction_restarts_the_count_and_lowers_the_confidence(
    api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    rows = settled(api, 5, start=0, **LINE)
    for txn in rows[:2]:
        correct(api, txn, COFFEE, django_capture_on_commit_callbacks)
    correct(api, rows[2], GROCERIES, django_capture_on_commit_callbacks)

    remembered = MerchantMemory.objects.get(organization=api.organization)
    assert (remembered.category_id, remembered.corrections, remembered.total) == (
        category(GROCERIES).pk,
        1,
        3,
    )
    # The latest correction wins, but only once it is confirmed: for now, nothing answers.
    assert categories(settled(api, 1, start=10, **LINE)) == {(None, "none", None)}

    correct(api, rows[3], GROCERIES, django_capture_on_commit_callbacks)
    later = settled(api, 1, start=20, **LINE)
    assert {s for s, *_ in categories(later)} == {GROCERIES}
    assert Transaction.objects.get(pk=later[0].pk).category_confidence == pytest.approx(2 / 4)


def test_clearing_a_category_makes_the_memory_forget(
    api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    rows = settled(api, 3, start=0, **LINE)
    for txn in rows[:2]:
        correct(api, txn, COFFEE, django_capture_on_commit_callbacks)
    correct(api, rows[2], None, django_capture_on_commit_callbacks)

    remembered = MerchantMemory.objects.get(organization=api.organization)
    assert (remembered.category_id, remembered.corrections, remembered.total) == (None, 1, 3)
    assert categories(settled(api, 1, start=10, **LINE)) == {(None, "none", None)}


def test_the_admin_edit_teaches_too(
    api: ApiClient, admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    coffee = category(COFFEE)
    for txn in settled(api, 2, start=0, **LINE):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                f"/admin/ingestion/transaction/{txn.pk}/change/",
                {"category": str(coffee.pk), "_save": "Save"},
            )
        assert response.status_code == 302, response.content[:2000]

    assert {s for s, *_ in categories(settled(api, 1, start=10, **LINE))} == {COFFEE}


def test_a_rerun_applies_the_memory_to_history(
    api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    history = settled(api, 5, start=0, **LINE)
    for txn in history[:2]:
        correct(api, txn, COFFEE, django_capture_on_commit_callbacks)

    job = api.post("/api/v1/categorisation/rerun/", {}).json()["batch_id"]
    for _ in range(10):  # the selection's chunks, until its scope is exhausted
        tasks.rerun_select(job)
        if Batch.objects.get(pk=job).total_transactions is not None:
            break
    assert Batch.objects.get(pk=job).total_transactions == 3
    drain(uuid.UUID(job))

    # The three lines nobody corrected follow the memory; the two corrections stay manual.
    assert categories(history[2:]) == {
        (COFFEE, "model", f"memory:{MerchantMemoryVersion.objects.get().version}")
    }
    assert categories(history[:2]) == {(COFFEE, "manual", None)}


def test_a_correction_reaches_the_next_chunk_of_the_same_process(
    api: ApiClient, django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
) -> None:
    enricher = MemoryEnricher()
    organization = api.organization.pk

    def row(amount: str = "-3.50") -> Row:
        return Row(uuid.uuid4(), organization, LINE["name"], None, Decimal(amount))

    rows = settled(api, 2, start=0, **LINE)
    correct(api, rows[0], COFFEE, django_capture_on_commit_callbacks)
    assert enricher.enrich([row()]) == [None]  # loads the (one-correction) memory

    with django_assert_num_queries(1):  # the version read, no reload: nothing moved
        assert enricher.enrich([row(), row()]) == [None, None]

    correct(api, rows[1], COFFEE, django_capture_on_commit_callbacks)
    with django_assert_num_queries(2):  # the version moved: one reload
        answers = enricher.enrich([row(), row("3.50")])
    assert answers[0] is not None and answers[0].category_id == category(COFFEE).pk
    assert answers[1] is None
    with django_assert_num_queries(1):
        assert enricher.enrich([row()]) == answers[:1]


def test_a_chunk_of_an_organization_without_corrections_costs_one_query(
    api: ApiClient, django_assert_num_queries: Any
) -> None:
    rows = [
        Row(uuid.uuid4(), api.organization.pk, f"QQBEANERY {i}", None, Decimal("-1"))
        for i in range(50)
    ]
    with django_assert_num_queries(1):
        assert MemoryEnricher().enrich(rows) == [None] * 50


def test_rows_of_two_organizations_in_one_call_get_only_their_own_memory(
    api: ApiClient, other_api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    for txn in settled(api, 2, start=0, **LINE):
        correct(api, txn, COFFEE, django_capture_on_commit_callbacks)
    correct(
        other_api,
        settled(other_api, 1, start=0, **LINE)[0],
        GROCERIES,
        django_capture_on_commit_callbacks,
    )

    rows = [
        Row(uuid.uuid4(), organization.pk, LINE["name"], None, Decimal("-2"))
        for organization in (api.organization, other_api.organization, api.organization)
    ]
    answers = MemoryEnricher().enrich(rows)

    assert [a.category_id if a else None for a in answers] == [
        category(COFFEE).pk,
        None,
        category(COFFEE).pk,
    ]
