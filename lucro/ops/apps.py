from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "lucro.ops"
    label = "ops"
