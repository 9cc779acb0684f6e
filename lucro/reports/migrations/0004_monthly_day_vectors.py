"""Add the day vectors on PostgreSQL (the converted reports read them).

``rollups.install`` creates ``reports_monthlydays`` if it is missing, replaces the
triggers and rebuilds every rollup, so this runs on a populated database. The model is
in Django's state only (on PostgreSQL the table is ``rollups``'): Django needs to know it
to empty it between tests. SQLite gets the key alone and no vectors: its converted reports
read the daily rollup (``conversion.PortableConversion``).
"""

from django.db import migrations, models

from lucro.reports import rollups


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        rollups.install(schema_editor.connection)
    else:
        # The key alone, empty for good: Django reads every table it knows when it sets up
        # a test database, so SQLite needs one to read.
        schema_editor.execute(
            "CREATE TABLE IF NOT EXISTS reports_monthlydays (account_id char(32) NOT NULL, "
            "month date NOT NULL, category_key char(32) NOT NULL, "
            "PRIMARY KEY (account_id, month, category_key))"
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_rollups_skip_deleted")]

    # Irreversible, like 0003: the older trigger SQL is not kept.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
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
                    options={"db_table": "reports_monthlydays"},
                ),
            ],
            database_operations=[migrations.RunPython(install)],
        ),
    ]
