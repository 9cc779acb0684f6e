from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    name = "lucro.enrichment"
    label = "enrichment"
    verbose_name = "Enrichment"

    def ready(self) -> None:
        # Subscribe to the lifecycle owner's events (it never imports this app), and let
        # tasks.py send the messages services ask for. dispatch_uid: ready() may run twice.
        from lucro.enrichment import receivers, signals, tasks
        from lucro.ingestion import events

        events.batch_ready.connect(
            receivers.batch_ready_enqueue, dispatch_uid="enrichment.batch_ready"
        )
        events.rerun_selecting.connect(
            receivers.rerun_selecting_enqueue, dispatch_uid="enrichment.rerun_selecting"
        )
        events.transaction_categorised.connect(
            receivers.transaction_categorised_remember,
            dispatch_uid="enrichment.transaction_categorised",
        )
        signals.work_requested.connect(
            tasks.work_requested_send, dispatch_uid="enrichment.work_requested"
        )
