"""Authenticated encryption of single fields (account numbers), with keys of their own.

``FIELD_ENCRYPTION_KEYS`` is a list of Fernet keys (AES-128-CBC with HMAC-SHA256, from
``cryptography``): the first encrypts, every one decrypts, so a new key is put first, the
stored values are re-encrypted under it (``manage.py rotate_field_keys``), then the old key
is dropped. The keys are never derived from ``SECRET_KEY``: rotating one must not lose the
other's data, and a leaked ``SECRET_KEY`` must not open the account numbers.

A value that no key decrypts raises ``FieldKeyError``, never returns the token or an empty
string: a deployment with a wrong or missing key must fail loudly, not show ciphertext or
quietly overwrite data (a popular package catches ``InvalidToken`` and returns the raw
value; this one does not). No message here holds a key, a token or a plaintext.

Each key has a short public id (the first 8 hex digits of the SHA-256 of its bytes): rows
record the id of the key that encrypted them, so a rotation finds what is left to do.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

# A Fernet key as Fernet.generate_key() writes it: 32 bytes, url-safe base64, padded.
# Checked strictly: base64's decoder skips characters outside its alphabet, so a key with
# a stray character (a quote, a space from a copy-paste) would otherwise be another key.
_KEY_FORMAT = re.compile(r"[A-Za-z0-9_-]{43}=")
GENERATE_KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class FieldKeyError(ImproperlyConfigured):
    """A stored value that no key of ``FIELD_ENCRYPTION_KEYS`` decrypts, or no usable key."""


def key_id(key: str) -> str:
    """Return the public id of a Fernet key: 8 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(base64.urlsafe_b64decode(key)).hexdigest()[:8]


def keys_problem(keys: list[str]) -> str | None:
    """Return what is wrong with ``keys`` (never quoting one), or None if they are usable."""
    if not keys:
        return (
            "FIELD_ENCRYPTION_KEYS must be set (comma-separated Fernet keys, the first "
            f"encrypts; make one with: {GENERATE_KEY_COMMAND})"
        )
    for index, key in enumerate(keys, start=1):
        if not _KEY_FORMAT.fullmatch(key):
            return (
                f"FIELD_ENCRYPTION_KEYS: key {index} of {len(keys)} is not a Fernet key "
                f"(44 url-safe base64 characters; make one with: {GENERATE_KEY_COMMAND})"
            )
    ids = [key_id(key) for key in keys]
    if len(set(ids)) != len(ids):
        # The same key twice, or (once in four billion) two keys with one id: rows would
        # record an id that does not say which key encrypted them.
        return "FIELD_ENCRYPTION_KEYS lists a key twice (or two keys share an id: make another)"
    return None


def development_key(path: Path) -> str:
    """Return the development key kept in ``path``, making it (mode 0600) on first use.

    Several processes start at once (``make run``: web, worker, housekeeping): the key is
    written to a private temporary file and linked into place, so exactly one key wins and
    nobody reads a half-written file.
    """
    if not path.exists():
        # mkstemp: a name of its own per caller, created with mode 0600.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key() + b"\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


@dataclass(frozen=True, slots=True)
class _Keyring:
    fernet: MultiFernet
    ids: tuple[str, ...]


@cache
def _keyring() -> _Keyring:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    problem = keys_problem(keys)
    if problem is not None:
        raise FieldKeyError(problem)
    return _Keyring(MultiFernet([Fernet(key) for key in keys]), tuple(map(key_id, keys)))


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs: Any) -> None:
    """Forget the cached keys when a test overrides them."""
    if setting == "FIELD_ENCRYPTION_KEYS":
        _keyring.cache_clear()


def primary_key_id() -> str:
    """Return the id of the key that encrypts (the first of ``FIELD_ENCRYPTION_KEYS``)."""
    return _keyring().ids[0]


def encrypt(text: str) -> str:
    """Return ``text`` encrypted and authenticated under the primary key (a Fernet token)."""
    return _keyring().fernet.encrypt(text.encode()).decode("ascii")


def _undecryptable(stored_key_id: str | None) -> FieldKeyError:
    ring = _keyring()
    under = f"key id {stored_key_id}" if stored_key_id else "an unrecorded key"
    return FieldKeyError(
        f"An encrypted field (encrypted under {under}) did not decrypt with any of the "
        f"{len(ring.ids)} key(s) of FIELD_ENCRYPTION_KEYS (ids {', '.join(ring.ids)}): "
        "a key was removed before `manage.py rotate_field_keys` re-encrypted every value, "
        "or the keys are another deployment's."
    )


def decrypt(token: str, *, stored_key_id: str | None = None) -> str:
    """Return the plaintext of ``token``; raise ``FieldKeyError`` if no key opens it.

    ``stored_key_id`` (the id the row recorded) only makes the error say which key is
    missing.
    """
    try:
        return _keyring().fernet.decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        # `from None`: the chained InvalidToken says nothing more, and no token is shown.
        raise _undecryptable(stored_key_id) from None


@dataclass(frozen=True)
class ReencryptChunk:
    """What one chunk of a key rotation did (each owner app re-encrypts its own rows)."""

    reencrypted: int
    last: Any  # the chunk's last primary key (the next chunk starts after it); None: done
    skipped: int  # rows of the chunk's range another transaction held


def reencrypt(token: str, *, stored_key_id: str | None = None) -> str:
    """Return ``token`` encrypted under the primary key (Fernet keeps its timestamp)."""
    try:
        return _keyring().fernet.rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise _undecryptable(stored_key_id) from None
