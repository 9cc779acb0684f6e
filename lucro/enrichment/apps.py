from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    name = "lucro.enrichment"
    label = "enrichment"
    verbose_name = "Enrichment"
