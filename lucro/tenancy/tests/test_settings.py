"""Production refuses to sign people's tokens with a key anyone could know."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SECRET = "s" * 60


def _settings_error(**env: str) -> str:
    """Import the settings in production with ``env``; return what start-up refused."""
    base = {
        "PATH": os.environ["PATH"],
        "LUCRO_ENV": "production",
        "DEBUG": "False",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": "postgres://x@localhost/x",
        "ALLOWED_HOSTS": "lucro.example.com",
        # Required in production too (lucro/ingestion/tests/test_account_numbers.py).
        "FIELD_ENCRYPTION_KEYS": "A" * 43 + "=",
        "LUCRO_VAR_DIR": str(ROOT / "var" / "settings-check"),
    }
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stderr if done.returncode else ""


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "JWT_SIGNING_KEY must be set"),
        ({"JWT_SIGNING_KEY": "short"}, "JWT_SIGNING_KEY must be set"),
        ({"JWT_SIGNING_KEY": SECRET}, "JWT_SIGNING_KEY must differ from SECRET_KEY"),
    ],
)
def test_production_needs_its_own_jwt_signing_key(env: dict[str, str], message: str) -> None:
    assert message in _settings_error(**env)


def test_production_starts_with_a_proper_jwt_signing_key() -> None:
    assert _settings_error(JWT_SIGNING_KEY="j" * 60) == ""
