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


# Probes on a listener of their own (lucro/ops/probes.py), e.g. "0.0.0.0:8001"; empty: off.
# Request threads are shared with ingestion, and under load a probe on the API port queues
# behind it (measured: ≈ 3 s at 200 parallel ingest clients); this port has its own thread
# in each worker. Bound once, here in the master, and inherited by every worker.
_probe_bind = os.environ.get("GUNICORN_PROBE_BIND", "")
_probe_listener = None


def on_starting(server: object) -> None:
    """Fold dead processes' metric files into archives; bind the probe port."""
    global _probe_listener
    from lucro.ops.prometheus_files import multiprocess_dir_prune

    multiprocess_dir_prune(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if _probe_bind:
        from lucro.ops.probes import probe_socket

        _probe_listener = probe_socket(_probe_bind)


def post_worker_init(worker: object) -> None:
    """The app is loaded: keep its objects out of full GC passes; warm the health checks
    (their first round opens their connections, before the first probe asks); answer the
    probe port."""
    from lucro.ops.health import health_warm
    from lucro.ops.runtime import gc_tune

    gc_tune()
    health_warm()
    if _probe_listener is not None:
        from lucro.ops.probes import probe_server_start

        probe_server_start(_probe_listener)


def child_exit(server: object, worker: object) -> None:
    """Fold a worker that exited (max_requests recycles them) into the archives at once.

    Its counters stay counted; live-gauges forget it (prometheus_client's mark_process_dead);
    and the folder does not grow by one set of files per recycled worker.
    """
    from lucro.ops.prometheus_files import multiprocess_dir_prune

    multiprocess_dir_prune(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def _problem_error_pages() -> None:
    """gunicorn's own 400/414/431 answers become problem+json (lucro/ops/gunicorn_errors.py)."""
    from gunicorn import util

    from lucro.ops.gunicorn_errors import write_problem

    util.write_error = write_problem


_problem_error_pages()
