"""Process-level tuning shared by the web server, the workers and the benchmark."""

from __future__ import annotations

import gc

# The collector's thresholds once the app is loaded (CPython's defaults: 700, 10, 10). At
# the defaults a GraphQL page of 100 transactions ran, per request, 1.4 young collections,
# a middle one every 8 requests and a full one every 50 (each walking whatever the request
# had alive: its documents, its answer). Measured, that page, alternating both settings in
# one process (3 runs of 200 requests each): p50 32.1/20.5/30.5 → 30.8/19.5/29.4 ms, p95
# 42.3/29.1/40.0 → 38.0/27.7/34.3 ms. Cycles still get collected, a little later.
GC_THRESHOLDS = (20_000, 50, 100)


def gc_tune() -> None:
    """Move every object alive now into the collector's permanent generation, and collect
    less often (``GC_THRESHOLDS``).

    Call once a process has loaded the app. A full (generation 2) collection then walks
    only objects made since, not Django's and the app's own thousands of long-lived ones:
    measured in the ingestion benchmark, those collections cost up to ≈ 70 ms each, the
    whole of the 10 000-row batch's p95 excess. The usual recipe for forking servers
    (https://docs.python.org/3/library/gc.html#gc.freeze).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
