"""Housekeeping of prometheus_client's multiprocess folder (defines no metrics).

Used by the gunicorn master (at start-up and when a worker exits), by the Celery worker at
start-up, and by every scrape (``MultiProcessLockedCollector``). Importing it creates no
metric, so the gunicorn master writes no sample file of its own.

In multiprocess mode each process writes its samples to ``<type>_<pid>.db``. When a process
dies its files must stay counted: Prometheus reads a counter that goes down as a reset, and
after killed workers ``lucro_enrichment_outcomes_total`` once read 7 000 for 100 000 rows
because a starting worker deleted dead processes' files. prometheus_client's own answer
(``mark_process_dead``) removes only live-gauge files and keeps everything else forever,
so on a long-lived host (gunicorn recycles a worker every ``max_requests``) the folder, and
every scrape's work, would grow without bound. Here a dead process's files are folded into
one archive file per type instead, with the type's own rule:

* counters, histograms, summaries and ``sum`` gauges: values added (``counter_archive.db``);
* ``min`` / ``max`` / ``mostrecent`` gauges: the smallest, largest or latest value;
* ``live*`` gauges: removed (``mark_process_dead``: only live processes count);
* ``all`` gauges: removed — their series carry the dead process's pid and describe nothing
  that still runs.

Safety. Compaction holds an exclusive ``flock`` on ``.lock`` in the folder; every scrape
through ``MultiProcessLockedCollector`` holds it shared, so no scrape sees a sample twice
(in the new archive and in its source file) or not at all. A crash at any point loses and
double-counts nothing: the new archive is written beside the old one (``*.new``, not
``*.db``, so no collector reads it), then a journal naming it and its sources is renamed
into place — the commit point — then the archive is renamed over the old one and the
sources are deleted. The next compaction finishes a committed journal (or discards an
uncommitted ``*.new``) before anything else.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess
from prometheus_client.mmap_dict import MmapedDict

_DEAD_CANDIDATE = re.compile(r"^(?P<prefix>[a-z]+_(?:[a-z]+_)?)(?P<pid>\d+)\.db$")
_LOCK = ".lock"
_JOURNAL = ".compaction.json"
_ARCHIVE = "archive.db"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


@contextlib.contextmanager
def folder_lock(folder: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold the folder's lock: exclusive to compact, shared to read."""
    with (folder / _LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _combine(
    prefix: str, current: tuple[float, float] | None, value: float, ts: float
) -> tuple[float, float]:
    if current is None:
        return value, ts
    if prefix in ("gauge_min_",):
        return (value, ts) if value < current[0] else current
    if prefix in ("gauge_max_",):
        return (value, ts) if value > current[0] else current
    if prefix in ("gauge_mostrecent_",):
        return (value, ts) if ts > current[1] else current
    return current[0] + value, max(current[1], ts)  # counters, histograms, summaries, sums


def _merge(prefix: str, files: Iterable[Path], target: Path) -> None:
    """Write ``files`` folded by the type's rule into ``target`` (a fresh file), synced."""
    merged: dict[str, tuple[float, float]] = {}
    for file in files:
        for key, value, ts, _ in MmapedDict.read_all_values_from_file(str(file)):
            merged[key] = _combine(prefix, merged.get(key), value, ts)
    target.unlink(missing_ok=True)
    out = MmapedDict(str(target))
    try:
        for key, (value, ts) in merged.items():
            out.write_value(key, value, ts)
    finally:
        out.close()
    _fsync(target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _journal_finish(path: Path) -> None:
    """Carry out a committed compaction: archives into place, then sources deleted."""
    journal = path / _JOURNAL
    plan: dict[str, Any] = json.loads(journal.read_text())
    for name in plan["archives"]:
        staged = path / f"{name}.new"
        if staged.exists():
            staged.replace(path / name)
    for name in plan["sources"]:
        (path / name).unlink(missing_ok=True)
    journal.unlink()


def multiprocess_dir_prune(folder: str | Path) -> int:
    """Fold the files of processes that no longer run into archives; return how many processes.

    A file whose pid a new process has taken counts as alive and is left alone: that process
    carries on from the values in it (prometheus_client reads them back), so nothing is lost.
    """
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    with folder_lock(path, exclusive=True):
        if (path / _JOURNAL).exists():
            _journal_finish(path)
        for stale in path.glob(f"*{_ARCHIVE}.new"):  # an uncommitted compaction: redo it
            stale.unlink()

        by_prefix: dict[str, list[Path]] = {}
        dropped: list[Path] = []
        dead: set[int] = set()
        for file in path.glob("*.db"):
            match = _DEAD_CANDIDATE.match(file.name)
            if not match or _alive(int(match.group("pid"))):
                continue
            dead.add(int(match.group("pid")))
            prefix = match.group("prefix")
            if prefix.startswith("gauge_live"):
                continue  # prometheus_client's own bookkeeping, below
            if prefix == "gauge_all_":
                dropped.append(file)
            else:
                by_prefix.setdefault(prefix, []).append(file)

        archives = []
        for prefix, files in by_prefix.items():
            archive = path / f"{prefix}{_ARCHIVE}"
            sources = [archive, *files] if archive.exists() else files
            _merge(prefix, sources, path / f"{archive.name}.new")
            archives.append(archive.name)
        folded = [file.name for files in by_prefix.values() for file in files]
        if archives:
            staged = path / f"{_JOURNAL}.tmp"
            staged.write_text(json.dumps({"archives": archives, "sources": folded}))
            _fsync(staged)
            staged.replace(path / _JOURNAL)  # the commit point
            _journal_finish(path)
        for file in dropped:
            file.unlink(missing_ok=True)
        for pid in dead:
            multiprocess.mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
    return len(dead)


class MultiProcessLockedCollector(multiprocess.MultiProcessCollector):
    """prometheus_client's collector, reading while no compaction moves samples around."""

    def collect(self) -> Any:
        with folder_lock(Path(self._path), exclusive=False):
            return list(super().collect())  # type: ignore[no-untyped-call]
