"""The COPY path's UUIDv7 keys: valid RFC 9562 version-7 UUIDs, unique and time-ordered."""

from __future__ import annotations

import time
import uuid

from lucro.ingestion.store.postgres import uuid7_block


def test_keys_are_version_7_rfc_variant_and_strictly_increasing() -> None:
    keys = uuid7_block(5_000)
    assert all(k.version == 7 and k.variant == uuid.RFC_4122 for k in keys)
    assert len(set(keys)) == 5_000
    assert keys == sorted(keys, key=lambda k: k.int)


def test_keys_carry_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    key = uuid7_block(1)[0]
    after = time.time_ns() // 1_000_000
    assert before <= key.int >> 80 <= after


def test_later_blocks_sort_after_earlier_ones() -> None:
    first = uuid7_block(1)[0]
    time.sleep(0.002)
    second = uuid7_block(1)[0]
    assert second.int > first.int
