"""Re-encrypt every account number under the first key of FIELD_ENCRYPTION_KEYS.

The rotation procedure (docs/operations.md, Field encryption keys): put the new key first,
deploy everywhere, run this, then remove the old key. Each chunk is its own transaction
(``transitions.accounts_reencrypt_chunk``) and each row records its key's id, so an
interrupted run keeps its work and a second run does only what is left: nothing, once
done.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lucro.core import crypto
from lucro.ingestion import transitions
from lucro.ingestion.models import Account

# Rows per transaction. A row costs a Fernet decryption and encryption (tens of µs) and a
# place in one bulk UPDATE, so a chunk holds its row locks for tens of milliseconds: an
# ingest naming one of these accounts waits no longer than that, and an interruption loses
# at most one chunk's work. Larger chunks gain little: the commit is a small part of a chunk.
DEFAULT_CHUNK_SIZE = 500
# Passes over the table: a later pass takes the rows a concurrent ingest held (skipped).
PASSES = 3


def _positive(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return int(value)


def _under_old_keys() -> int:
    """Return how many account numbers are stored under a key other than the primary."""
    return (
        Account.objects.filter(account_number_encrypted__isnull=False)
        .exclude(account_number_key=crypto.primary_key_id())
        .count()
    )


class Command(BaseCommand):
    help = (
        "Re-encrypt every account number under the first key of FIELD_ENCRYPTION_KEYS, "
        "in chunks, each committed on its own (safe to interrupt and run again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk-size",
            type=_positive,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Rows per transaction (default {DEFAULT_CHUNK_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._rotate(options["chunk_size"])
        except crypto.FieldKeyError as exc:
            # A value no key opens: the chunk rolled back, the earlier chunks stay done.
            raise CommandError(str(exc)) from exc

    def _rotate(self, size: int) -> None:
        primary = crypto.primary_key_id()
        self.stdout.write(f"Re-encrypting account numbers under key {primary}.")
        total = 0
        for attempt in range(PASSES):
            after = None
            skipped = 0
            while True:
                chunk = transitions.accounts_reencrypt_chunk(after=after, limit=size)
                if chunk.last is None:
                    break
                after = chunk.last
                total += chunk.reencrypted
                skipped += chunk.skipped
                self.stdout.write(f"  {total} re-encrypted")
            if not skipped:
                break
            if attempt + 1 < PASSES:
                self.stdout.write(f"  {skipped} held by concurrent writes: another pass")
                time.sleep(1)
        left = _under_old_keys()
        if left:
            raise CommandError(
                f"{total} re-encrypted, but {left} account number(s) are still under other "
                "keys (held by concurrent writes, or written by a process still running with "
                "an older key list). Run the command again before removing any key."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {total} re-encrypted; every account number is under key {primary}."
            )
        )
