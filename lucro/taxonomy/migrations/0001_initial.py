"""Category moves from the enrichment app to this one; its table stays where it is.

The model is created in the migration state only: the table ``enrichment_category`` (made
by enrichment 0001, seeded by enrichment 0002) keeps its name (``Meta.db_table``), rows and
indexes. Enrichment 0006 and ingestion 0006 point the foreign keys here and drop the old
model from the state, also without touching the database.

The content type follows the model, so that admin permissions and log entries naming
``enrichment | category`` keep working (a fresh database has no such row yet: a no-op).
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def content_type_move(apps, schema_editor, old="enrichment", new="taxonomy"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=new, model="category").exists():
        ContentType.objects.using(db).filter(app_label=old, model="category").update(app_label=new)


def content_type_move_back(apps, schema_editor):
    content_type_move(apps, schema_editor, old="taxonomy", new="enrichment")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("enrichment", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Category",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("slug", models.SlugField(max_length=120, unique=True)),
                        (
                            "code",
                            models.CharField(
                                help_text="Plaid-style code, e.g. FOOD_AND_DRINK_COFFEE",
                                max_length=120,
                                unique=True,
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                help_text="Full name, e.g. Food & Drink › Coffee", max_length=200
                            ),
                        ),
                        ("short_name", models.CharField(max_length=120)),
                        ("description", models.TextField(blank=True)),
                        (
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="children",
                                to="taxonomy.category",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "categories",
                        "db_table": "enrichment_category",
                        "ordering": ["name"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_move, content_type_move_back, elidable=True),
    ]
