"""Celery signal wiring: correlation ids across the broker, one log line per task.

* ``before_task_publish`` copies the current correlation id (the request's, or the task's
  that publishes) into the message headers as ``lucro_request_id``; tasks launched from
  tasks therefore inherit it.
* ``task_prerun`` binds it to ``request_id_var`` and to structlog's context, with the task
  name, task id and batch id, so every log line of the task carries them.
* ``task_postrun`` logs ``task_finished`` with the duration and outcome, then unbinds.

Connected once from ``OpsConfig.ready()``; the same code runs in web and worker processes.
"""

from __future__ import annotations

import inspect
import os
import time
from typing import Any

import structlog
from celery import signals

from lucro.core.context import request_id_var

HEADER = "lucro_request_id"
logger = structlog.get_logger("lucro.task")

# task id -> (start time, request_id_var token, the structlog context to restore). Eager
# tasks (the simulator's in-process mode) nest inside a request or another task.
_started: dict[str, tuple[float, Any, dict[str, Any]]] = {}
_connected = False


def _publish_add_header(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id and not headers.get(HEADER):
        headers[HEADER] = request_id


def _task_request_id(task: Any) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    value = getattr(request, HEADER, None)
    if value is None:
        headers = getattr(request, "headers", None) or {}
        value = headers.get(HEADER) if isinstance(headers, dict) else None
    return str(value) if value else None


def _batch_id(task: Any, args: Any, kwargs: Any) -> str | None:
    """The task's ``batch_id`` argument, by keyword or by position."""
    if kwargs and kwargs.get("batch_id"):
        return str(kwargs["batch_id"])
    if not args:
        return None
    try:
        params = list(inspect.signature(task.run).parameters)
    except (TypeError, ValueError):
        return None
    if "batch_id" in params:
        index = params.index("batch_id")
        if index < len(args):
            return str(args[index])
    return None


def _task_prerun(
    task_id: str | None = None, task: Any = None, args: Any = None, kwargs: Any = None, **_: Any
) -> None:
    # An eager task runs in the caller's context, with no message headers to read.
    request_id = _task_request_id(task) or request_id_var.get()
    token = request_id_var.set(request_id)
    previous = structlog.contextvars.get_contextvars()
    structlog.contextvars.clear_contextvars()
    context: dict[str, Any] = {"task": getattr(task, "name", None), "task_id": task_id}
    if request_id:
        context["request_id"] = request_id
    batch_id = _batch_id(task, args, kwargs)
    if batch_id:
        context["batch_id"] = batch_id
    structlog.contextvars.bind_contextvars(**context)
    if task_id:
        _started[task_id] = (time.perf_counter(), token, previous)
    logger.info("task_started", retries=getattr(getattr(task, "request", None), "retries", 0))


def _task_postrun(task_id: str | None = None, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None) if task_id else None
    duration_ms = round((time.perf_counter() - started[0]) * 1000, 2) if started else None
    logger.info("task_finished", outcome=state, duration_ms=duration_ms)
    structlog.contextvars.clear_contextvars()
    if started:
        structlog.contextvars.bind_contextvars(**started[2])
        try:
            request_id_var.reset(started[1])
        except ValueError:  # a token from another context (eager calls in a thread)
            request_id_var.set(None)


def _task_failure(
    task_id: str | None = None, exception: BaseException | None = None, **_: Any
) -> None:
    # The exception's type only: its message may quote row data.
    logger.error("task_failed", error=type(exception).__name__ if exception else None)


def _worker_process_shutdown(**_: Any) -> None:
    from lucro.ops.metrics import multiprocess_dir

    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _worker_process_init(**_: Any) -> None:
    # Startup objects (Django, the matcher's imports) move to the permanent generation, so
    # full collections during a chunk only walk what the chunk allocated (see gc_tune).
    from lucro.ops.runtime import gc_tune

    gc_tune()


def _worker_ready(**_: Any) -> None:
    """Prune dead processes' metric files; serve the host's metrics if asked to."""
    from lucro.ops.metrics import multiprocess_dir, registry
    from lucro.ops.prometheus_files import multiprocess_dir_prune

    folder = multiprocess_dir()
    if folder:
        multiprocess_dir_prune(folder)
    port = os.environ.get("WORKER_METRICS_PORT", "")
    if port.isdigit():
        from prometheus_client import start_http_server

        address = os.environ.get("WORKER_METRICS_ADDR", "0.0.0.0")  # noqa: S104
        start_http_server(int(port), addr=address, registry=registry())
        logger.info("worker_metrics_serving", port=int(port), multiprocess=bool(folder))


def connect() -> None:
    """Connect the receivers (idempotent)."""
    global _connected
    if _connected:
        return
    _connected = True
    signals.before_task_publish.connect(_publish_add_header, weak=False)
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
    signals.task_failure.connect(_task_failure, weak=False)
    signals.worker_process_shutdown.connect(_worker_process_shutdown, weak=False)
    signals.worker_ready.connect(_worker_ready, weak=False)
    signals.worker_process_init.connect(_worker_process_init, weak=False)
