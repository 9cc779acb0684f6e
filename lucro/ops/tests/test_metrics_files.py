"""Counters survive their processes: dead processes' sample files are folded, never dropped.

Real child processes write to a multiprocess folder and die (SIGKILL or a normal exit);
the start-up prune (gunicorn's ``on_starting`` / ``child_exit``, the worker's ready signal)
then runs, and the collected values must still include what the dead processes counted —
once, also when the compaction itself was interrupted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from lucro.ops import prometheus_files
from lucro.ops.prometheus_files import MultiProcessLockedCollector, multiprocess_dir_prune

CHILD = """
import os, signal, sys
from prometheus_client import Counter, Gauge, Histogram

n, end = int(sys.argv[1]), sys.argv[2]
Counter("t_rows", "Rows.", ["source"]).labels("rule").inc(n)
latency = Histogram("t_latency_seconds", "Latency.", buckets=(1, 10))
latency.observe(0.5)
latency.observe(5)
Gauge("t_recent", "Latest.", multiprocess_mode="mostrecent").set(n)
Gauge("t_all", "Per pid.").set(n)
Gauge("t_live", "Live sum.", multiprocess_mode="livesum").set(n)
print("ready", flush=True)
if end == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
if end == "wait":
    sys.stdin.read()
"""


def _child(folder: Path, n: int, end: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(n), end],
        env={"PROMETHEUS_MULTIPROC_DIR": str(folder), "PATH": "/usr/bin:/bin"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    if end != "wait":
        proc.wait(timeout=30)
    return proc


def _value(folder: Path, name: str, labels: dict[str, str] | None = None) -> float | None:
    registry = CollectorRegistry()
    MultiProcessLockedCollector(registry, path=str(folder))
    return registry.get_sample_value(name, labels or {})


def _rows(folder: Path) -> float | None:
    return _value(folder, "t_rows_total", {"source": "rule"})


def test_counters_of_killed_processes_survive_the_next_start(tmp_path: Path) -> None:
    _child(tmp_path, 5, "kill")
    _child(tmp_path, 7, "kill")
    assert _rows(tmp_path) == 12

    assert multiprocess_dir_prune(tmp_path) == 2
    assert _rows(tmp_path) == 12
    assert _value(tmp_path, "t_latency_seconds_count") == 4
    assert _value(tmp_path, "t_latency_seconds_sum") == 11
    assert _value(tmp_path, "t_latency_seconds_bucket", {"le": "1.0"}) == 2
    assert _value(tmp_path, "t_latency_seconds_bucket", {"le": "10.0"}) == 4
    assert _value(tmp_path, "t_recent") == 7  # the later process's value
    # Gauges of dead processes: live ones forgotten, per-pid ones dropped.
    registry = CollectorRegistry()
    MultiProcessLockedCollector(registry, path=str(tmp_path))
    gauges = {s.name for m in registry.collect() if m.type == "gauge" for s in m.samples}
    assert gauges == {"t_recent"}
    # The folder does not grow with dead processes: one archive per type.
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "counter_archive.db",
        "gauge_mostrecent_archive.db",
        "histogram_archive.db",
    ]

    # A live process is left alone; a later dead one is added to the archive; and folding
    # the live one once it has exited counts it exactly once.
    alive = _child(tmp_path, 11, "wait")
    _child(tmp_path, 13, "exit")
    assert multiprocess_dir_prune(tmp_path) == 1
    assert _rows(tmp_path) == 12 + 11 + 13
    assert _value(tmp_path, "t_recent") == 13
    assert list(tmp_path.glob(f"counter_{alive.pid}.db"))
    alive.communicate("", timeout=30)
    assert multiprocess_dir_prune(tmp_path) == 1
    assert multiprocess_dir_prune(tmp_path) == 0
    assert _rows(tmp_path) == 12 + 11 + 13
    assert _value(tmp_path, "t_latency_seconds_count") == 8


def test_a_compaction_interrupted_after_its_commit_is_finished_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _child(tmp_path, 5, "kill")
    multiprocess_dir_prune(tmp_path)  # an archive exists
    _child(tmp_path, 7, "kill")

    def crash(path: Path) -> None:
        raise RuntimeError("killed between the journal and the renames")

    with monkeypatch.context() as patch:
        patch.setattr(prometheus_files, "_journal_finish", crash)
        with pytest.raises(RuntimeError):
            multiprocess_dir_prune(tmp_path)
    # The staged archive is not read; the sources still are: nothing seen twice.
    assert _rows(tmp_path) == 12
    multiprocess_dir_prune(tmp_path)
    assert _rows(tmp_path) == 12
    assert not list(tmp_path.glob("*.new"))
    assert not (tmp_path / ".compaction.json").exists()


def test_a_compaction_interrupted_before_its_commit_is_redone_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _child(tmp_path, 5, "kill")
    multiprocess_dir_prune(tmp_path)
    _child(tmp_path, 7, "kill")
    merge = prometheus_files._merge

    def merge_then_crash(prefix: str, files: list[Path], target: Path) -> None:
        merge(prefix, files, target)
        raise RuntimeError("killed before the journal")

    with monkeypatch.context() as patch:
        patch.setattr(prometheus_files, "_merge", merge_then_crash)
        with pytest.raises(RuntimeError):
            multiprocess_dir_prune(tmp_path)
    assert list(tmp_path.glob("*.new"))
    assert _rows(tmp_path) == 12
    multiprocess_dir_prune(tmp_path)
    assert _rows(tmp_path) == 12
    assert not list(tmp_path.glob("*.new"))
