from django.db import migrations


def seed(apps, schema_editor):
    from lucro.enrichment.defaults import seed_default_rules

    written, problems = seed_default_rules(
        apps.get_model("enrichment", "Rule"),
        apps.get_model("enrichment", "Category"),
        apps.get_model("enrichment", "RuleSetVersion"),
    )
    for problem in problems:
        print(f"  default_rules.csv: skipped {problem}")


class Migration(migrations.Migration):
    dependencies = [("enrichment", "0003_batch_dispatch")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
