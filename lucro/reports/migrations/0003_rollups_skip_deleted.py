"""Reinstall the rollup triggers: soft-deleted transactions are no longer counted.

Every statement in ``lucro/reports/rollups.py`` is create-or-replace, and the backfill
recomputes both rollups from the rows the new triggers count, so this runs on a populated
database (no row is deleted yet when it first runs: the column is new).
"""

from django.db import migrations

from lucro.reports import rollups


def install(apps, schema_editor):
    rollups.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_rollup_triggers"),
        ("ingestion", "0008_soft_delete"),
    ]

    # Irreversible: the triggers now read ``deleted_at``, which unapplying ingestion's 0008
    # would drop, and the SQL of the older triggers is not kept.
    operations = [migrations.RunPython(install)]
