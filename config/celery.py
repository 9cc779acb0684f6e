from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _prometheus_multiproc_dir_default() -> None:
    """Worker and beat processes share the host's metrics folder (see lucro.ops.metrics).

    It must be set before prometheus_client is first imported (Django's setup does that),
    and only for the Celery commands: a web process under gunicorn gets it from
    gunicorn.conf.py, and tests or ``manage.py`` keep the in-process registry.
    """
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ or "prometheus_client" in sys.modules:
        return
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else []
    if argv and argv[0] == "celery" and "worker" in argv:
        var_dir = os.environ.get(
            "LUCRO_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var")
        )
        folder = Path(var_dir) / "prometheus"
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


_prometheus_multiproc_dir_default()

app = Celery("lucro")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _logging_from_django_settings(**_: Any) -> None:
    """Keep Celery's hands off logging: settings configure structlog for every process."""
    from django.conf import settings

    settings.LOG_JSON  # noqa: B018 - importing settings runs lucro.ops.logging.configure_logging
