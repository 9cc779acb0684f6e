"""Run every Lucro process in the foreground: web, one worker, housekeeping with beat, and
the webhooks worker.

Ctrl-C (or SIGTERM) stops them all; if one dies, the others are stopped too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def demo_key() -> str:
    """Return the demo organization's key, creating it once (kept in var/demo-api-key)."""
    path = Path(os.environ.get("LUCRO_VAR_DIR", ROOT / "var")) / "demo-api-key"
    if path.exists():
        key = path.read_text().strip()
        check = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "import sys\nfrom lucro.tenancy.models import ApiKey\n"
                "from lucro.tenancy.services import api_key_hash\n"
                f"sys.exit(0 if ApiKey.objects.filter(hashed_key=api_key_hash({key!r}), "
                "revoked_at__isnull=True).exists() else 1)",
            ],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        if check.returncode == 0:
            return key
    out = subprocess.run(
        [sys.executable, "manage.py", "create_api_key", "--org", "demo", "--name", "make run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = out.stdout.strip().splitlines()[-1]
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


DEMO_EMAIL = "demo@example.com"


def _manage(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def demo_user() -> tuple[str, str]:
    """Return the demo organization's dashboard login (an owner), creating it once; its
    generated password is kept in var/demo-user-password, like the demo key."""
    path = Path(os.environ.get("LUCRO_VAR_DIR", ROOT / "var")) / "demo-user-password"
    check = (
        "import sys\nfrom lucro.tenancy.models import User\n"
        f"user = User.objects.filter(username={DEMO_EMAIL!r}).first()\n"
        "sys.exit(0 if user and user.check_password(sys.stdin.readline().strip()) else 1)"
    )
    if path.exists():
        password = path.read_text().strip()
        if _manage("shell", "-c", check, stdin=password + "\n").returncode == 0:
            return DEMO_EMAIL, password
    password = secrets.token_urlsafe(18)
    made = _manage(
        "create_user", "--email", DEMO_EMAIL, "--org", "demo", "--role", "owner",
        "--name", "Demo", "--password-stdin", stdin=password + "\n",
    )  # fmt: skip
    if made.returncode != 0:
        # The user exists from an earlier run whose password file is gone: set a new one.
        reset = (
            "import sys\nfrom lucro.tenancy.models import User\n"
            f"user = User.objects.get(username={DEMO_EMAIL!r})\n"
            "user.set_password(sys.stdin.readline().strip())\nuser.save()"
        )
        _manage("shell", "-c", reset, stdin=password + "\n").check_returncode()
    path.write_text(password + "\n")
    path.chmod(0o600)
    return DEMO_EMAIL, password


def housekeeping_queue() -> str:
    """Return the housekeeping queue the settings derive (from CELERY_QUEUE by default)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    return str(settings.CELERY_HOUSEKEEPING_QUEUE)


def webhooks_queue() -> str:
    """Return the webhooks queue the settings derive (from CELERY_QUEUE by default)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    return str(settings.CELERY_WEBHOOKS_QUEUE)


def _celery_worker(name: str, *options: str, concurrency: int = 1) -> list[str]:
    """Return the command of a Celery worker named ``name`` (one process by default)."""
    return [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        *options,
        "-l",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        name,
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    key = demo_key()
    email, password = demo_user()
    commands = {
        "web": [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{args.port}",
        ],
        "worker": _celery_worker("worker@%h"),
        # The sweeper and other housekeeping get capacity of their own, so recovery never
        # waits behind enrichment work in the worker above. Beat is embedded (-B) in this
        # worker: on one host that guarantees exactly one beat, the scheduler and the only
        # consumer of what it schedules start and stop together, and a laptop runs one
        # process fewer. Celery advises against -B in production (each such worker would
        # run a beat), so compose runs `beat` and `housekeeping` as separate services.
        "housekeeping": _celery_worker("housekeeping@%h", "-B", "-Q", housekeeping_queue()),
        # Webhook deliveries wait on other people's servers (up to WEBHOOK_TIMEOUT each):
        # a queue and processes of their own, so they delay neither worker above.
        "webhooks": _celery_worker("webhooks@%h", "-Q", webhooks_queue(), concurrency=2),
    }
    procs = {
        name: subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
        for name, cmd in commands.items()
    }
    url = f"http://127.0.0.1:{args.port}"
    print(
        f"""
Lucro is starting: web, worker, housekeeping (with beat), webhooks.
  API:      {url}/api/v1/
  Docs:     {url}/api/v1/docs/
  Dashboard: {url}/app/  (log in as {email}, password {password}; kept in var/demo-user-password)
  Admin:    {url}/admin/  (create a user: .venv/bin/python manage.py createsuperuser)
  Demo key: {key}

  curl -X POST {url}/api/v1/integrations/transactions/ \\
    -H "Authorization: Token {key}" -H "Content-Type: application/json" \\
    -d '{{"accounts":[{{"account_id":"acc_1","name":"Checking","type":"depository"}}],
         "transactions":[{{"transaction_id":"tx_1","account_id":"acc_1","amount":-4.5,
         "iso_currency_code":"USD","date":"2025-10-30","name":"STARBUCKS #123"}}]}}'

Ctrl-C stops everything.
""",
        flush=True,
    )

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the others.", flush=True)
                code = proc.returncode or 1
                stopping = True
                break
        time.sleep(0.3)
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return code


if __name__ == "__main__":
    sys.exit(main())
