"""WEBHOOK_* settings are parsed strictly at start-up, and the embedded default alone lets
webhooks reach private networks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROBE = (
    "from django.conf import settings; import django; django.setup(); "
    "print(settings.WEBHOOK_RETRY_SCHEDULE, settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS, "
    "settings.CELERY_TASK_ROUTES['lucro.webhooks.deliver']['queue'])"
)


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WEBHOOK_", "CELERY_QUEUE", "CELERY_WEBHOOKS", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LUCRO_VAR_DIR": str(ROOT / "var" / "settings-check"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_follow_spec_13_and_the_embedded_default_allows_private_networks() -> None:
    done = _settings()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("]")[0] == "[5, 300, 1800, 7200, 18000, 36000, 36000"
    assert done.stdout.split()[-2:] == ["True", "celery.webhooks"]
    on_postgres = _settings(DATABASE_URL="postgres://x@127.0.0.1/x", CELERY_QUEUE="work")
    assert on_postgres.stdout.split()[-2:] == ["False", "work.webhooks"]
    assert _settings(WEBHOOK_RETRY_SCHEDULE=" 1, 2,4 ").stdout.startswith("[1, 2, 4]")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEBHOOK_RETRY_SCHEDULE": "1,,2"}, "WEBHOOK_RETRY_SCHEDULE must be comma-separated"),
        ({"WEBHOOK_RETRY_SCHEDULE": "5s,10s"}, "WEBHOOK_RETRY_SCHEDULE must be comma-separated"),
        ({"WEBHOOK_RETRY_SCHEDULE": "-1"}, "WEBHOOK_RETRY_SCHEDULE must be comma-separated"),
        ({"WEBHOOK_RETRY_SCHEDULE": "999999999"}, "every value must be from 0 to 604800"),
        ({"WEBHOOK_ALLOW_PRIVATE_NETWORKS": "yes"}, "must be True or False"),
        ({"WEBHOOK_TIMEOUT": "0"}, "WEBHOOK_TIMEOUT must be"),
        ({"WEBHOOK_SWEEP_INTERVAL": "-3"}, "WEBHOOK_SWEEP_INTERVAL must be"),
    ],
)
def test_malformed_values_refuse_to_start(env: dict[str, str], message: str) -> None:
    done = _settings(**env)
    assert done.returncode != 0
    assert message in done.stderr
