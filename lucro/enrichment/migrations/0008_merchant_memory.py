"""The merchant memory (learning from corrections): per-organization keys and a version.

Depends on 0006, not on the 0007 another branch adds: at merge, point it at that 0007.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enrichment", "0006_category_to_taxonomy"),
        ("taxonomy", "0001_initial"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="MerchantMemoryVersion",
            fields=[
                (
                    "organization",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="tenancy.organization",
                    ),
                ),
                ("version", models.BigIntegerField(default=1)),
            ],
        ),
        migrations.CreateModel(
            name="MerchantMemory",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("key", models.CharField(help_text="The normalised merchant key.", max_length=200)),
                (
                    "direction",
                    models.CharField(
                        choices=[("in", "Money in"), ("out", "Money out")], max_length=3
                    ),
                ),
                ("corrections", models.PositiveIntegerField(default=0)),
                ("total", models.PositiveIntegerField(default=0)),
                ("updated_at", models.DateTimeField()),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: the last correction cleared the category.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="taxonomy.category",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.organization",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "merchant memories",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "key", "direction"), name="merchant_memory_unique"
                    )
                ],
            },
        ),
    ]
