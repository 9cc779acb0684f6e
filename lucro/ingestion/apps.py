from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "lucro.ingestion"
    label = "ingestion"
    verbose_name = "Ingestion"

    def ready(self) -> None:
        # The store is chosen once, at start-up: a wrong LUCRO_STORE fails here, not on the
        # first request that writes.
        from lucro.ingestion.store import store

        store()
