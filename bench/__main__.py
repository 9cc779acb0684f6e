"""`make bench`: run every benchmark against DATABASE_URL and print one table.

Usage: python -m bench [ingest] [enrich] [summary] [currencies] [budgets] [auth] [fx]
[graphql] [dashboard]
(default: all that exist)
"""

from __future__ import annotations

import importlib
import os
import sys

from bench.common import BenchRow, print_table

SECTIONS = (
    "ingest",
    "enrich",
    "summary",
    "currencies",
    "budgets",
    "auth",
    "fx",
    "graphql",
    "dashboard",
)


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Production's setting (the SPEC §8 targets are production figures): with DEBUG on,
    # Django also keeps every query's SQL — the write-back's arrays included — per process.
    # The bench's worker subprocess inherits it.
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not settings.IS_POSTGRES:
        print(
            "note: DATABASE_URL is not PostgreSQL; SPEC §8 targets are for PostgreSQL.", flush=True
        )
    call_command("migrate", verbosity=0)
    # As gunicorn's post_worker_init and the Celery worker's process init do.
    from lucro.ops.runtime import gc_tune

    gc_tune()
    wanted = argv or list(SECTIONS)
    rows: list[BenchRow] = []
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"(no benchmark '{name}' yet)", flush=True)
            continue
        print(f"running {name} …", flush=True)
        rows.extend(module.run())
    print_table(rows)
    return 1 if any(r.verdict == "FAIL" for r in rows) and os.environ.get("BENCH_STRICT") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
