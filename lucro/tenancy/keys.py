"""The form of API keys: shared by the authentication class and the services.

Kept apart from ``services`` because DRF imports the authentication classes while
``rest_framework.views`` itself loads, which ``services`` (through core's errors) needs.
"""

from __future__ import annotations

import hashlib

KEY_PREFIX = "lk_"


def api_key_hash(raw_key: str) -> str:
    """Return the stored form of a raw key.

    A fast hash is enough (and right for a per-request check): keys are 256-bit random
    values, so there is nothing for a slow password hash to protect against.
    """
    return hashlib.sha256(raw_key.encode()).hexdigest()
