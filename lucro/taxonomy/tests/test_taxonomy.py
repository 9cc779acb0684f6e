"""The taxonomy app owns Category; the table, the seeded rows and the API stayed put."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from lucro.enrichment.models import Rule
from lucro.ingestion.models import Transaction
from lucro.taxonomy.models import Category
from lucro.taxonomy.serializers import CategorySlugField, category_slugs
from lucro.testing import ApiClient


def test_category_kept_its_table_and_every_key_points_at_it() -> None:
    assert Category._meta.app_label == "taxonomy"
    assert Category._meta.db_table == "enrichment_category"
    assert Rule._meta.get_field("category").related_model is Category
    assert Transaction._meta.get_field("category").related_model is Category


@pytest.mark.django_db
def test_migrations_match_the_models() -> None:
    # The move is state-only migrations; a drift would make the next makemigrations
    # write a real (table-renaming or key-dropping) migration.
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


@pytest.mark.django_db
def test_the_seeded_table_is_the_taxonomy_files() -> None:
    seeded = sorted(Category.objects.values_list("slug", flat=True))
    assert seeded == category_slugs()
    coffee = Category.objects.select_related("parent").get(slug="food-and-drink-coffee")
    assert coffee.parent is not None and coffee.parent.slug == "food-and-drink"
    assert coffee.name == "Food & Drink › Coffee"


@pytest.mark.django_db
def test_the_slug_field_takes_a_slug(api: ApiClient) -> None:
    field = CategorySlugField()
    coffee = field.to_internal_value("food-and-drink-coffee")
    assert coffee == Category.objects.get(slug="food-and-drink-coffee")
    answer = api.get("/api/v1/categories/")
    assert answer.status_code == 200
    assert len(answer.json()["results"]) == len(category_slugs())
