from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "lucro.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Subscribe to the lifecycle owner's events (it never imports this app), and let
        # tasks.py send the attempts services ask for. dispatch_uid: ready() may run twice.
        from lucro.ingestion import events
        from lucro.webhooks import receivers, signals, tasks

        events.batch_finished.connect(
            receivers.batch_finished_publish, dispatch_uid="webhooks.batch_finished"
        )
        signals.attempt_requested.connect(
            tasks.attempt_requested_send, dispatch_uid="webhooks.attempt_requested"
        )
