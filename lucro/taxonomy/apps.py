from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "lucro.taxonomy"
    label = "taxonomy"
    verbose_name = "Taxonomy"
