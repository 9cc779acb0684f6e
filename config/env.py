"""Strict helpers that read configuration from the environment.

A variable that is set but malformed raises ``ImproperlyConfigured`` instead of silently
falling back, so a typo in a deployment never runs with a surprising default. Every helper
also accepts ``NAME_FILE`` (a path whose content is the value), for secrets mounted as files.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    """Return the variable ``name`` (or the content of ``NAME_FILE``), else ``default``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Return ``name`` as a boolean; only ``True``/``False`` (any case, or 1/0) are accepted."""
    raw = env_str(name, "")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {raw!r}")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``name`` as an integer, refusing anything that is not one."""
    raw = env_str(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be <= {maximum}, not {value}")
    return value


def env_float(name: str, default: float) -> float:
    """Return ``name`` as a float, refusing anything that is not one."""
    raw = env_str(name, "")
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    raw = env_str(name, "")
    if raw == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_range(name: str) -> tuple[float, float] | None:
    """Return ``"a-b"`` (or a single number ``"a"``) as ``(a, b)`` seconds, or None when unset."""
    raw = env_str(name, "").strip()
    if raw in ("", "0", "off", "none"):
        return None
    low, _, high = raw.partition("-")
    try:
        lo = float(low)
        hi = float(high) if high else lo
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must look like 0.5-1.0, not {raw!r}") from exc
    if lo < 0 or hi < lo:
        raise ImproperlyConfigured(f"{name} must be a non-negative range low-high, not {raw!r}")
    return (lo, hi)


def env_int_list(
    name: str,
    default: list[int],
    *,
    minimum: int = 0,
    maximum: int | None = None,
    max_items: int | None = None,
) -> list[int]:
    """Return a comma-separated list of integers (``"1,2,4"``), refusing anything else.

    Every item must be an integer within ``[minimum, maximum]``; an empty item (``"1,,2"``)
    or an empty list is refused too, so a typo never silently drops a value.
    """
    raw = env_str(name, "").strip()
    if raw == "":
        return list(default)
    values: list[int] = []
    for item in raw.split(","):
        text = item.strip()
        if not (text.isascii() and text.isdigit()):
            raise ImproperlyConfigured(
                f"{name} must be comma-separated whole numbers such as 1,2,4, not {raw!r}"
            )
        value = int(text)
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
            raise ImproperlyConfigured(f"{name}: every value must be {bound}, not {value}")
        values.append(value)
    if max_items is not None and len(values) > max_items:
        raise ImproperlyConfigured(f"{name} holds at most {max_items} values, not {len(values)}")
    return values
