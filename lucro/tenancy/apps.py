from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "lucro.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        # drf-spectacular registers an extension when its class is created: import it
        # before any schema is generated.
        from lucro.tenancy import openapi, receivers  # noqa: F401
