from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lucro.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Tenancy sits below and must not import the audit log: it announces its changes
        # (tenancy_event) and the audit log records them.
        from lucro.audit import receivers  # noqa: F401
