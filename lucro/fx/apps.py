from django.apps import AppConfig


class FxConfig(AppConfig):
    name = "lucro.fx"
    label = "fx"
    verbose_name = "Exchange rates"
