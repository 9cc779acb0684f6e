"""Re-encrypt every encrypted field under the first key of FIELD_ENCRYPTION_KEYS.

The rotation procedure (docs/operations.md, Field encryption keys): put the new key first,
deploy everywhere, run this, then remove the old key. Each app re-encrypts the values it
owns — account numbers (``ingestion.transitions.accounts_reencrypt_chunk``) and webhook
secrets (``webhooks.services.endpoints_reencrypt_chunk``) — so the command lives here, in
ops, above both. Each chunk is its own transaction and each row records its key's id, so
an interrupted run keeps its work and a second run does only what is left: nothing, once
done.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lucro.core import crypto
from lucro.ingestion import transitions
from lucro.ingestion.selectors import accounts_under_old_keys
from lucro.webhooks.selectors import endpoints_under_old_keys
from lucro.webhooks.services import endpoints_reencrypt_chunk

# Rows per transaction. A row costs a Fernet decryption and encryption (tens of µs) and a
# place in one bulk UPDATE, so a chunk holds its row locks for tens of milliseconds: an
# ingest naming one of these accounts waits no longer than that, and an interruption loses
# at most one chunk's work. Larger chunks gain little: the commit is a small part of a chunk.
DEFAULT_CHUNK_SIZE = 500
# Passes over the table: a later pass takes the rows a concurrent ingest held (skipped).
PASSES = 3


@dataclass(frozen=True)
class Field:
    """One kind of encrypted value: how to re-encrypt a chunk, and count what is left."""

    name: str
    chunk: Callable[..., crypto.ReencryptChunk]
    left: Callable[[], int]


FIELDS = (
    Field("account numbers", transitions.accounts_reencrypt_chunk, accounts_under_old_keys),
    Field("webhook secrets", endpoints_reencrypt_chunk, lambda: endpoints_under_old_keys().count()),
)


def _positive(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return int(value)


class Command(BaseCommand):
    help = (
        "Re-encrypt every account number and webhook secret under the first key of "
        "FIELD_ENCRYPTION_KEYS, in chunks, each committed on its own (safe to interrupt "
        "and run again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk-size",
            type=_positive,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Rows per transaction (default {DEFAULT_CHUNK_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        primary = crypto.primary_key_id()
        done: list[str] = []
        try:
            for field in FIELDS:
                total = self._rotate(field, options["chunk_size"], primary)
                done.append(f"{total} {field.name}")
        except crypto.FieldKeyError as exc:
            # A value no key opens: the chunk rolled back, the earlier chunks stay done.
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {', '.join(done)} re-encrypted; every encrypted value is under key "
                f"{primary}."
            )
        )

    def _rotate(self, field: Field, size: int, primary: str) -> int:
        self.stdout.write(f"Re-encrypting {field.name} under key {primary}.")
        total = 0
        for attempt in range(PASSES):
            after = None
            skipped = 0
            while True:
                chunk = field.chunk(after=after, limit=size)
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
        left = field.left()
        if left:
            raise CommandError(
                f"{total} {field.name} re-encrypted, but {left} still under other keys "
                "(held by concurrent writes, or written by a process still running with an "
                "older key list). Run the command again before removing any key."
            )
        return total
