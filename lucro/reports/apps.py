from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "lucro.reports"
    label = "reports"
