from django.db import migrations, models

from lucro.core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("ingestion", "0003_category_without_db_constraint"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("ingestion_status", "failed")),
                fields=["batch"],
                name="txn_failed_batch",
            ),
        ),
    ]
