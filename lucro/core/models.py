"""The one table of the bottom layer: the embedded default's rate-limit counters."""

from __future__ import annotations

from django.db import models


class RateLimitCounter(models.Model):
    """A fixed-window request counter of ``lucro.core.ratelimit.DatabaseCounters``.

    One row per bucket (a policy and a partition, e.g. ``default:key:<id>``), reused from one
    window to the next: a hit in a new window resets ``hits`` to 1 in the same statement.
    Only the embedded default (no Redis) writes here; production counts in Redis.
    """

    bucket = models.CharField(max_length=255, primary_key=True)
    # Unix seconds at which the counted window began.
    window_start = models.BigIntegerField()
    hits = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["window_start"], name="core_ratelimit_window_idx")]

    def __str__(self) -> str:
        return f"{self.bucket}: {self.hits} since {self.window_start}"
