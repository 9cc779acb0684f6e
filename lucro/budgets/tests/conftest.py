"""Fixtures of the budget tests: real ingestion, worker-like write-backs, evaluations run
in this process as the queue would run them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lucro.budgets import tasks

# Real workers on a queue of the test's own (test_alerts_workers.py).
from lucro.enrichment.tests.conftest import workers  # noqa: F401

# Two detailed categories under one primary, one under another, and a primary.
from lucro.reports.tests.conftest import categories  # noqa: F401


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingestion queues enrichment on commit; these tests play the worker themselves."""
    monkeypatch.setattr("lucro.enrichment.tasks._send_batch", lambda batch_id: None)


@pytest.fixture(autouse=True)
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Run each queued evaluation at once, in this process (the debounce still applies);
    return the list of the evaluations run."""
    run: list[tuple[Any, ...]] = []

    def apply_async(args: tuple[Any, ...], countdown: float = 0, **_: Any) -> None:
        run.append(args)
        tasks.evaluate_budgets(*args)

    monkeypatch.setattr(tasks.evaluate_budgets, "apply_async", apply_async)
    return run


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """Return a context manager that runs on-commit callbacks (events) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
