"""Third revision of the default rules: fee-line precedence and market idioms (issue 12).

Fee lines that name a merchant (``FOREIGN TXN FEE: SPOTIFY``, ``CARD FEE - UBER``) get rules
above every merchant's, and South African, Kenyan, Nigerian and Ghanaian idioms (NAEDO and
DebiCheck debit orders, unpaid items, banking-app payments, M-Shwari, NIP, GhIPSS, interest
earned and charged) are added. New rows come from default_rules.csv through the same
idempotent seed as 0004 and 0005; no row was removed, so nothing is deactivated.
"""

from django.db import migrations


def revise(apps, schema_editor):
    from lucro.enrichment.defaults import seed_default_rules

    # Category belongs to the taxonomy app since 0006 (the same table).
    written, problems = seed_default_rules(
        apps.get_model("enrichment", "Rule"),
        apps.get_model("taxonomy", "Category"),
        apps.get_model("enrichment", "RuleSetVersion"),
    )
    for problem in problems:
        print(f"  default_rules.csv: skipped {problem}")


class Migration(migrations.Migration):
    dependencies = [("enrichment", "0008_merchant_memory")]

    operations = [migrations.RunPython(revise, migrations.RunPython.noop)]
