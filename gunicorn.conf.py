"""gunicorn settings, shared by `make run`, the Dockerfile and docker-compose."""

import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = None  # the app logs one structured line per request
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app is loaded in each worker, after the fork: nothing (database connections, the
# metrics' memory-mapped files) is shared by accident.
preload_app = False

# Prometheus multiprocess mode (see lucro/ops/metrics.py): every worker writes its samples
# to this folder and /metrics aggregates them. Set here, in the master, so that workers
# inherit it before they import prometheus_client.
_var_dir = Path(os.environ.get("LUCRO_VAR_DIR", str(Path(__file__).resolve().parent / "var")))
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_var_dir / "prometheus"))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)


def on_starting(server: object) -> None:
    """Fold the metric files of processes that are gone (an earlier run) into archives."""
    from lucro.ops.prometheus_files import multiprocess_dir_prune

    multiprocess_dir_prune(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def post_worker_init(worker: object) -> None:
    """The app is loaded: keep its long-lived objects out of full GC passes."""
    from lucro.ops.runtime import gc_freeze

    gc_freeze()


def child_exit(server: object, worker: object) -> None:
    """Fold a worker that exited (max_requests recycles them) into the archives at once.

    Its counters stay counted; live-gauges forget it (prometheus_client's mark_process_dead);
    and the folder does not grow by one set of files per recycled worker.
    """
    from lucro.ops.prometheus_files import multiprocess_dir_prune

    multiprocess_dir_prune(os.environ["PROMETHEUS_MULTIPROC_DIR"])
