from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "lucro.budgets"
    label = "budgets"
    verbose_name = "Budgets and alerts"

    def ready(self) -> None:
        # Evaluate budgets after the changes that can move their spend (SPEC §12): the
        # owners announce them and never import this app. dispatch_uid: ready() may run
        # twice.
        from lucro.budgets import receivers, signals, tasks
        from lucro.fx.events import rates_changed
        from lucro.ingestion import events

        events.transactions_changed.connect(
            receivers.transactions_changed_evaluate, dispatch_uid="budgets.transactions_changed"
        )
        rates_changed.connect(receivers.rates_changed_evaluate, dispatch_uid="budgets.rates")
        signals.evaluation_requested.connect(
            tasks.evaluation_requested_send, dispatch_uid="budgets.evaluation_requested"
        )
