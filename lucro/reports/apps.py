from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "lucro.reports"
    label = "reports"

    def ready(self) -> None:
        # The lifecycle owner announces every change that can alter a report; it never
        # imports this app. dispatch_uid: ready() may run twice.
        from lucro.ingestion import events
        from lucro.reports import receivers

        events.transactions_changed.connect(
            receivers.transactions_changed_invalidate, dispatch_uid="reports.transactions_changed"
        )
