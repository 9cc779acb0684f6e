from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "lucro.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"
