from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "lucro.ingestion"
    label = "ingestion"
    verbose_name = "Ingestion"
