"""Add the day vectors on PostgreSQL (the converted reports read them).

``rollups.install`` creates ``reports_monthlydays`` if it is missing, replaces the
triggers and rebuilds every rollup, so this runs on a populated database. The model is
unmanaged: Django only needs to know the table to empty it between tests. SQLite has no
vectors: its converted reports read the daily rollup (``conversion.PortableConversion``).
"""

from django.db import migrations, models

from lucro.reports import rollups


def install(apps, schema_editor):
    rollups.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_rollups_skip_deleted")]

    # Irreversible, like 0003: the older trigger SQL is not kept.
    operations = [
        migrations.CreateModel(
            name="MonthlyDays",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "account_id",
                        "month",
                        "category_key",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("account_id", models.UUIDField()),
                ("month", models.DateField()),
                ("category_key", models.UUIDField()),
            ],
            options={"db_table": "reports_monthlydays", "managed": False},
        ),
        migrations.RunPython(install),
    ]
