from django.db import migrations, models


class Migration(migrations.Migration):
    # Two nullable columns: catalogue-only changes on PostgreSQL (no table rewrite).

    dependencies = [
        ("ingestion", "0008_soft_delete"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="account_number_encrypted",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="The account number, encrypted.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="account",
            name="account_number_key",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The id of the FIELD_ENCRYPTION_KEYS key that encrypted the account number.",
                max_length=16,
                null=True,
            ),
        ),
    ]
