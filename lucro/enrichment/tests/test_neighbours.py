"""Corrections generalised past one key (issue 12, item 5): lines like several corrected ones.

A small model trained here gives the features (``helpers.tiny_model``) and always abstains
(``MODEL_MIN_CONFIDENCE`` above 1), so what categorises a line is the rules, the memory or
the organization's corrections, never the global model's guess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lucro.enrichment import enrichers, memory, model
from lucro.enrichment.models import MerchantMemoryVersion
from lucro.enrichment.tests.helpers import tiny_model
from lucro.enrichment.tests.test_memory import categories, correct, settled
from lucro.testing import ApiClient

pytestmark = pytest.mark.django_db
GROCERIES = "food-and-drink-groceries"


@pytest.fixture(autouse=True)
def _model(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CATEGORY_MODEL_PATH = str(tiny_model(tmp_path))
    settings.MODEL_MIN_CONFIDENCE = 1.01
    model.model_forget()
    monkeypatch.setattr(enrichers, "_current", None)
    monkeypatch.setattr(memory, "_memories", {})


def line(place: str) -> dict[str, Any]:
    return {"merchant_name": None, "name": f"POS PURCHASE ZQ NJERI BUTCHERY {place} 05/10"}


def test_two_corrected_lines_of_a_merchant_teach_its_other_lines_in_that_org_only(
    api: ApiClient, other_api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    # Two lines of one local merchant, at two branches: two keys, one correction each.
    for n, place in enumerate(("SOWETO", "KASARANI")):
        (txn,) = settled(api, 1, start=n, **line(place))
        assert categories([txn]) == {(None, "none", None)}
        correct(api, txn, GROCERIES, django_capture_on_commit_callbacks)

    # A third branch: no exact key was corrected, but two similar corrected lines agree.
    later = settled(api, 2, start=10, **line("THIKA"))
    version = MerchantMemoryVersion.objects.get(organization=api.organization).version
    assert categories(later) == {(GROCERIES, "model", f"corrections:{version}")}
    # Organization B's lines of the same merchant are untouched.
    assert categories(settled(other_api, 2, start=10, **line("THIKA"))) == {(None, "none", None)}
    # An unrelated line of A is not pulled in by boilerplate alone.
    other = {"merchant_name": None, "name": "POS PURCHASE QQ ZWEMBE THIKA 05/10"}
    assert categories(settled(api, 1, start=20, **other)) == {(None, "none", None)}


def test_one_corrected_line_does_not_teach_similar_lines(
    api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    (txn,) = settled(api, 1, start=0, **line("SOWETO"))
    correct(api, txn, GROCERIES, django_capture_on_commit_callbacks)

    assert categories(settled(api, 1, start=10, **line("THIKA"))) == {(None, "none", None)}


def test_disagreeing_corrections_teach_nothing(
    api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    for n, (place, slug) in enumerate(
        (("SOWETO", GROCERIES), ("KASARANI", "food-and-drink-restaurant"))
    ):
        (txn,) = settled(api, 1, start=n, **line(place))
        correct(api, txn, slug, django_capture_on_commit_callbacks)

    assert categories(settled(api, 1, start=10, **line("THIKA"))) == {(None, "none", None)}
