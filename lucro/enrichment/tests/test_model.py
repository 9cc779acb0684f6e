"""The learned enricher (issue 12, item 4): features, saving safely, answering, abstaining.

Most tests train a tiny model here (a second or less) and point ``CATEGORY_MODEL_PATH`` at
it, so they say exactly what the enricher does with a model; the last ones load the model
that ships.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import skops.io as sio
from django.test import override_settings

from lucro.enrichment import enrichers, model
from lucro.enrichment.chain import Row
from lucro.enrichment.model import (
    CategoryModel,
    ModelEnricher,
    line_document,
    line_features,
    model_load,
)
from lucro.enrichment.tests.helpers import category, drain, ingest, tiny_model
from lucro.ingestion.models import Transaction
from lucro.testing import make_client


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    model.model_forget()
    monkeypatch.setattr(enrichers, "_current", None)


def row(description: str, amount: str = "-10.00", merchant: str | None = None) -> Row:
    return Row(uuid.uuid4(), uuid.uuid4(), description, merchant, Decimal(amount))


def test_document_drops_digits_case_and_punctuation_and_keeps_the_direction() -> None:
    assert line_document("POS PURCHASE Shoprite 05/10 CARD*1234", "ShopRite", False) == (
        "-|pos purchase shoprite card|shoprite"
    )
    assert line_document(None, None, True) == "+||"
    # Two lines of one merchant that differ only in date and reference are one document.
    assert line_document("KFC REF88213 05/10", None, False) == line_document(
        "KFC REF 1 01/01", None, False
    )


def test_features_match_a_merchant_cut_off_at_the_end_of_the_line() -> None:
    full = set(line_features(line_document("POS PURCHASE CORNER PHARMACY", None, False)))
    cut = set(line_features(line_document("POS PURCHASE CORNER PHARMAC", None, False)))
    assert {"pha…", "phar…", "pharm…"} <= full & cut
    assert "m:corner" in line_features(line_document("X", "Corner", False))


@pytest.mark.django_db
def test_the_enricher_answers_as_model_with_version_and_confidence(tmp_path: Path) -> None:
    with override_settings(CATEGORY_MODEL_PATH=str(tiny_model(tmp_path))):
        answers = ModelEnricher().enrich(
            [row("POS PURCHASE UNCLE SIPHO BUTCHERY 05/10"), row("CARD PURCHASE PHARMAC")]
        )
    assert [a and a.category_id for a in answers] == [
        category("food-and-drink-groceries").pk,
        category("medical-pharmacies-and-supplements").pk,
    ]
    assert all(a is not None and a.source == "model" for a in answers)
    assert all(a is not None and a.model_version == "tiny-1" for a in answers)
    assert all(a is not None and 0 < a.confidence <= 1 for a in answers)


@pytest.mark.django_db
def test_the_enricher_abstains_below_the_threshold(tmp_path: Path) -> None:
    path = tiny_model(tmp_path, min_confidence=0.99)
    with override_settings(CATEGORY_MODEL_PATH=str(path)):
        assert ModelEnricher().enrich([row("SOMETHING ELSE ENTIRELY")]) == [None]
    # The setting overrides the saved threshold.
    with override_settings(CATEGORY_MODEL_PATH=str(path), MODEL_MIN_CONFIDENCE=0.0):
        assert ModelEnricher().enrich([row("SOMETHING ELSE ENTIRELY")]) != [None]


@pytest.mark.django_db
def test_repeated_documents_share_one_answer_and_run_the_model_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with override_settings(CATEGORY_MODEL_PATH=str(tiny_model(tmp_path))):
        loaded = model.model_current()
        assert loaded is not None
        seen: list[int] = []
        real = CategoryModel.predict

        def counting(self: CategoryModel, documents: list[str]) -> list[tuple[str, float]]:
            seen.append(len(documents))
            return real(self, documents)

        monkeypatch.setattr(CategoryModel, "predict", counting)
        enricher = ModelEnricher()
        first = enricher.enrich([row(f"POS PURCHASE THE TAVERN {n:04d}") for n in range(50)])
        again = enricher.enrich([row("POS PURCHASE THE TAVERN 9999 05/10")])
    assert seen == [1]  # one new document in 51 lines; the second chunk hit the cache
    assert len({id(a) for a in first + again}) == 1


@pytest.mark.django_db
def test_no_model_file_means_the_enricher_passes(tmp_path: Path) -> None:
    with override_settings(CATEGORY_MODEL_PATH=str(tmp_path / "missing.skops")):
        assert ModelEnricher().enrich([row("POS PURCHASE CORNER PHARMACY")]) == [None]


def test_a_file_with_untrusted_types_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.skops"
    sio.dump({"format": 2, "version": "x", "idf": os.system}, path)  # code, not data
    with pytest.raises(ValueError, match="does not trust"):
        model_load(path)
    # Nor a builtin that runs code.
    sio.dump({"format": 2, "version": "x", "idf": eval}, path)
    with pytest.raises(ValueError, match=r"does not trust: builtins\.eval"):
        model_load(path)


@pytest.mark.django_db
def test_rows_the_rules_leave_are_categorised_by_the_model_through_the_pipeline(
    tmp_path: Path,
) -> None:
    api = make_client("model-org")
    with override_settings(CATEGORY_MODEL_PATH=str(tiny_model(tmp_path))):
        batch_id = ingest(
            api, 1, start=0, name="POS PURCHASE BUTCHERY ZANELE 05/10", merchant_name=None
        )
        drain(batch_id)
    txn = Transaction.objects.get(batch_id=batch_id)
    assert txn.category is not None and txn.category.slug == "food-and-drink-groceries"
    assert (txn.category_source, txn.category_model_version) == ("model", "tiny-1")
    assert 0 < txn.category_confidence <= 1


@pytest.mark.django_db
def test_the_shipped_model_loads_and_knows_plain_lines() -> None:
    shipped = model.model_current()
    assert shipped is not None, "the model ships in lucro/enrichment/data/"
    assert shipped.version.startswith("lr")
    assert 0 <= shipped.min_confidence < 1
    answers = ModelEnricher().enrich(
        [
            row("KFC SOWETO 05/10"),
            row("SALARY ACME HOLDINGS", "25000.00"),
        ]
    )
    slugs = [a and a.category_id and category_slug(a.category_id) for a in answers]
    assert slugs[0] is not None and slugs[0].startswith("food-and-drink")
    assert slugs[1] is not None and slugs[1].startswith("income")


def category_slug(pk: uuid.UUID) -> str:
    from lucro.taxonomy.models import Category

    return Category.objects.get(pk=pk).slug


@pytest.mark.django_db
def test_the_featuriser_computes_what_the_vectorizer_does(tmp_path: Path) -> None:
    loaded = model_load(tiny_model(tmp_path))
    documents = [
        line_document(text, merchant, money_in)
        for text, merchant, money_in in [
            ("POS PURCHASE KWIKBUTCHERY SOWETO 05/10", None, False),
            ("CARD PURCHASE PHARMACY DIRECT", "Pharmacy Direct", False),
            ("THE TAVERN THE TAVERN", None, True),  # repeated words count twice
            ("UNKNOWN WORDS ONLY", None, False),
            (None, None, True),
        ]
    ]
    expected = loaded.vectorizer.transform(documents).toarray()
    got = loaded.featuriser.transform(documents).toarray()
    assert got.shape == expected.shape
    assert abs(got - expected).max() < 1e-6
    assert loaded.featuriser.transform(documents[:1]).toarray() == pytest.approx(got[:1])


def test_a_worker_process_loads_the_model_as_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    from lucro.enrichment import tasks

    model.model_forget()
    loads: list[str] = []
    real = model.model_load
    monkeypatch.setattr(model, "model_load", lambda path: loads.append(str(path)) or real(path))
    tasks.enrichers_warm()
    assert loads == [str(model.model_path())]
    model.model_current()  # the first chunk finds it loaded
    assert len(loads) == 1


@pytest.mark.parametrize(
    ("queues", "warms"),
    [
        (None, True),  # no -Q: the default (work) queue
        ({"celery"}, True),
        ({"celery", "celery.housekeeping"}, True),
        ({"celery.housekeeping"}, False),  # the housekeeping worker never runs the chain
    ],
)
def test_only_workers_of_the_work_queue_warm_up(
    monkeypatch: pytest.MonkeyPatch, settings: Any, queues: set[str] | None, warms: bool
) -> None:
    from types import SimpleNamespace

    from lucro.enrichment import tasks

    settings.CELERY_TASK_DEFAULT_QUEUE = "celery"
    worker = SimpleNamespace(
        app=SimpleNamespace(amqp=SimpleNamespace(queues=SimpleNamespace(consume_from=queues)))
    )
    monkeypatch.setitem(tasks._WARM_UP, "enabled", True)
    tasks.worker_queues_note(sender="w@host", instance=worker)
    model.model_forget()
    loads: list[str] = []
    real = model.model_load
    monkeypatch.setattr(model, "model_load", lambda path: loads.append(str(path)) or real(path))
    tasks.enrichers_warm()
    assert bool(loads) is warms
