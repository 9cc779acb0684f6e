"""Install the triggers that keep the rollups in step with the transactions table.

See ``lucro/reports/rollups.py`` for the SQL and why it is shaped the way it is. The
rollups are backfilled from the rows already terminal, so the migration can run on a
populated database.
"""

from django.db import migrations

from lucro.reports import rollups


def install(apps, schema_editor):
    rollups.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    rollups.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_rollups"),
        ("ingestion", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
