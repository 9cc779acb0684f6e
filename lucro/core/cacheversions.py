"""Version counters in the cache, for caching something under the versions of what it read.

A cached value's key includes the versions of everything it was computed from; a writer
bumps a version once its change commits, and the next reader misses and recomputes, so a
value is never served after a change it depends on. Each app owns its counters' names
(``reports.cache``: accounts and organizations; ``fx.cache``: rates; ``budgets.cache``:
budgets); this module only reads and bumps them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from django.core.cache import cache


def versions_get(keys: Sequence[str]) -> list[int]:
    """Return the counters at ``keys`` (0 when missing), in one round trip to the cache."""
    found = cache.get_many(list(keys))
    return [int(found.get(key, 0)) for key in keys]


def versions_bump(keys: Iterable[str]) -> None:
    """Change each counter at ``keys`` now (in sorted order: two bumpers never interleave
    the same keys differently)."""
    for key in sorted(set(keys)):
        try:
            cache.incr(key)
        except ValueError:
            # Not there yet (or evicted): readers took a missing version as 0, and a random
            # one differs from it (and from whatever value was evicted) all but surely.
            cache.set(key, uuid.uuid4().int % (2**62) + 1, timeout=None)
