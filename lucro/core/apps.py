from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lucro.core"
    label = "core"
