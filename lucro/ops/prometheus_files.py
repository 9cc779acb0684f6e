"""Housekeeping of prometheus_client's multiprocess folder (imports no metrics).

Used by the gunicorn master and the Celery worker at start-up, before (or without)
importing prometheus_client in a process that must not write samples itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PID_IN_NAME = re.compile(r"_(\d+)\.db$")


def multiprocess_dir_prune(folder: str | Path) -> int:
    """Delete the sample files of processes that no longer run; return how many.

    A fresh host starts with an empty folder; on a long-lived one (``make run`` again and
    again) the files of dead processes would otherwise pile up and slow every scrape.
    Counters of dead processes are dropped with them, which Prometheus reads as a reset.
    """
    removed = 0
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for file in path.glob("*.db"):
        match = _PID_IN_NAME.search(file.name)
        if not match:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            file.unlink(missing_ok=True)
            removed += 1
        except PermissionError:
            continue
    return removed
