from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "lucro.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from lucro.ops import signals

        signals.connect()
