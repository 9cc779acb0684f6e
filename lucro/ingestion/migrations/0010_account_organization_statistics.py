"""Tell PostgreSQL's planner that a transaction's account decides its organization.

Without it the planner multiplied the two filters' selectivities (``organization_id = …``
and ``account_id = …``, always both in a tenant's query) and expected a row or two of an
account that holds thousands: it then read and sorted all of them for a page of 100,
rather than walking the (account, date) index (SQLite has no such statistics).
"""

from django.db import migrations

NAME = "ingestion_transaction_account_organization"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {NAME} (dependencies) "
            "ON organization_id, account_id FROM ingestion_transaction"
        )
        # Built by ANALYZE: now (a sample of the table, seconds at most), not at
        # autovacuum's next analyze of a table that may be days away from one.
        schema_editor.execute("ANALYZE ingestion_transaction")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0009_account_number"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
