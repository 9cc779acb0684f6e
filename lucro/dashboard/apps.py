from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The web face of Lucro for people (SPEC §15): pages over the API's selectors and
    services, at /app/."""

    name = "lucro.dashboard"
    label = "dashboard"
    default_auto_field = "django.db.models.BigAutoField"
