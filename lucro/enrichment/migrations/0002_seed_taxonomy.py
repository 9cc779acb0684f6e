from django.db import migrations


def seed(apps, schema_editor):
    from lucro.taxonomy.defaults import taxonomy

    Category = apps.get_model("enrichment", "Category")
    by_code = {}
    for entry in taxonomy():
        category, _ = Category.objects.update_or_create(
            code=entry.code,
            defaults={
                "slug": entry.slug,
                "name": entry.name,
                "short_name": entry.short_name,
                "description": entry.description,
                "parent": by_code.get(entry.parent_code),
            },
        )
        by_code[entry.code] = category


class Migration(migrations.Migration):
    dependencies = [("enrichment", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
