"""Category now belongs to the taxonomy app (taxonomy 0001): drop it from this app's state.

State only: Rule.category keeps its column and its database foreign key to the same table
``enrichment_category``; only the model it names changes. The historical data migrations
before this one (0002, 0004, 0005) still see ``enrichment.Category`` at their point in
history.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enrichment", "0005_default_rules_revision_2"),
        ("taxonomy", "0001_initial"),
        # Every other foreign key to enrichment.Category must be moved before it is deleted.
        ("ingestion", "0006_category_in_taxonomy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="rule",
                    name="category",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rules",
                        to="taxonomy.category",
                    ),
                ),
                migrations.DeleteModel(name="Category"),
            ],
            database_operations=[],
        ),
    ]
