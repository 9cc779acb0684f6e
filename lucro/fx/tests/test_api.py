"""``/api/v1/exchange-rates/``: uploads (owners, admins, write keys) and reads (everyone)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from lucro.audit.models import AuditEvent
from lucro.core.parsers import json_decode
from lucro.fx.cache import fx_version
from lucro.fx.contract import upload_parse
from lucro.fx.events import rates_changed
from lucro.fx.models import ExchangeRate
from lucro.fx.tests.helpers import put
from lucro.testing import make_client, make_member

pytestmark = pytest.mark.django_db
URL = "/api/v1/exchange-rates/"
RATE = {"date": "2025-10-30", "base": "USD", "quote": "KES", "rate": "129.25"}


def _body(*rates: dict[str, Any]) -> dict[str, Any]:
    return {"rates": list(rates)}


def _pointers(answer: Any) -> list[str]:
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    return [error["pointer"] for error in answer.json()["errors"]]


def test_an_upload_creates_then_counts_unchanged_and_updated() -> None:
    admin = make_member("Org Up", "admin")[0]
    second = {**RATE, "date": "2025-10-31", "rate": 129.5}  # a JSON number
    answer = admin.post(URL, _body(RATE, second))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"created": 2, "updated": 0, "unchanged": 0}
    rows = ExchangeRate.objects.filter(organization=admin.organization).order_by("date")
    assert [(r.base, r.quote, r.rate, r.source) for r in rows] == [
        ("USD", "KES", Decimal("129.25"), "upload"),
        ("USD", "KES", Decimal("129.5"), "upload"),
    ]
    assert admin.post(URL, _body(RATE, second)).json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }
    answer = admin.post(URL, _body({**RATE, "rate": "130"}, second))
    assert answer.json() == {"created": 0, "updated": 1, "unchanged": 1}
    assert ExchangeRate.objects.get(date="2025-10-30").rate == Decimal("130")


def test_a_json_number_is_read_exactly_never_through_a_float() -> None:
    client = make_client("Org Up", scopes=["write"])
    raw = (
        '{"rates": [{"date": "2025-10-30", "base": "USD", "quote": "KES", "rate": 0.1}, '
        '{"date": "2025-10-30", "base": "EUR", "quote": "KES", "rate": 123456789012.123456789012}]}'
    )
    body = json_decode(raw.encode(), decimals=True)
    parsed = upload_parse(body, today=dt.date(2025, 10, 30))
    assert [row.rate for row in parsed] == [
        Decimal("0.1"),
        Decimal("123456789012.123456789012"),  # 24 digits: a float keeps 17
    ]
    answer = client.post(URL, raw=raw)
    assert answer.status_code == 200, answer.content
    stored = ExchangeRate.objects.get(organization=client.organization, base="USD")
    assert stored.rate == Decimal("0.1")  # float(0.1) is 0.1000000000000000055…


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({}, ["/rates"]),
        ([], [""]),
        ({"rates": []}, ["/rates"]),
        ({"rates": "x"}, ["/rates"]),
        ({"rates": [RATE], "extra": 1}, ["/extra"]),
        ({"rates": [1]}, ["/rates/0"]),
        ({"rates": [{**RATE, "note": "x"}]}, ["/rates/0/note"]),
        ({"rates": [{k: v for k, v in RATE.items() if k != "rate"}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": None}]}, ["/rates/0/rate"]),
        ({"rates": [RATE, {**RATE, "rate": "0"}]}, ["/rates/1/rate"]),
        ({"rates": [{**RATE, "rate": "-1"}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": -1}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": "1e3"}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": " 5"}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": "1.0000000000001"}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": "1000000000000"}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": True}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": "NaN"}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "rate": "١٢"}]}, ["/rates/0/rate"]),
        ({"rates": [{**RATE, "base": "XYZ"}]}, ["/rates/0/base"]),
        ({"rates": [{**RATE, "base": "usd"}]}, ["/rates/0/base"]),
        ({"rates": [{**RATE, "quote": 404}]}, ["/rates/0/quote"]),
        ({"rates": [{**RATE, "quote": "USD"}]}, ["/rates/0/quote"]),
        ({"rates": [{**RATE, "date": "2025-02-30"}]}, ["/rates/0/date"]),
        ({"rates": [{**RATE, "date": "20251030"}]}, ["/rates/0/date"]),
        ({"rates": [{**RATE, "date": "1899-12-31"}]}, ["/rates/0/date"]),
        ({"rates": [{**RATE, "date": 20251030}]}, ["/rates/0/date"]),
        ({"rates": [RATE, {**RATE, "rate": "1"}]}, ["/rates/1"]),
        (
            {"rates": [{"date": "x", "base": "x", "quote": "x", "rate": "x"}]},
            ["/rates/0/date", "/rates/0/base", "/rates/0/quote", "/rates/0/rate"],
        ),
    ],
)
def test_every_problem_is_a_400_with_its_pointer_and_nothing_is_written(body, pointers) -> None:
    owner = make_member("Org Up", "owner")[0]
    assert _pointers(owner.post(URL, body)) == pointers
    assert not ExchangeRate.objects.exists()
    assert not AuditEvent.objects.filter(action="exchange_rates.uploaded").exists()


def test_dates_up_to_tomorrow_only() -> None:
    owner = make_member("Org Up", "owner")[0]
    today = timezone.now().date()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    later = (today + dt.timedelta(days=2)).isoformat()
    assert owner.post(URL, _body({**RATE, "date": tomorrow})).status_code == 200
    assert _pointers(owner.post(URL, _body({**RATE, "date": later}))) == ["/rates/0/date"]


def test_at_most_10000_rates_and_200_problems_listed() -> None:
    owner = make_member("Org Up", "owner")[0]
    assert _pointers(owner.post(URL, {"rates": [RATE] * 10_001})) == ["/rates"]
    answer = owner.post(URL, {"rates": [{**RATE, "rate": "0"}] * 300})
    assert len(_pointers(answer)) == 200
    assert answer.json()["detail"].startswith("300 problem(s)")


def test_ten_thousand_rates_in_one_upload() -> None:
    owner = make_member("Org Up", "owner")[0]
    start = dt.date(1990, 1, 1)
    body = _body(
        *(
            {"date": (start + dt.timedelta(days=i)).isoformat(), "base": "USD", "quote": "KES"}
            | {"rate": f"{100 + i / 1000:.3f}"}
            for i in range(10_000)
        )
    )
    answer = owner.post(URL, body)
    assert answer.json() == {"created": 10_000, "updated": 0, "unchanged": 0}


def test_roles_analysts_and_read_keys_may_not_upload() -> None:
    for client in (make_member("Org Up", "analyst")[0], make_client("Org Up", scopes=["read"])):
        answer = client.post(URL, _body(RATE))
        assert answer.status_code == 403
        assert answer["Content-Type"] == "application/problem+json"
    for client in (make_member("Org Up", "owner")[0], make_client("Org Up", scopes=["write"])):
        assert client.post(URL, _body(RATE)).status_code == 200
    assert ExchangeRate.objects.count() == 1


def test_an_upload_is_audited_once(django_capture_on_commit_callbacks) -> None:
    owner, membership, _ = make_member("Org Up", "owner")
    body = _body(RATE, {**RATE, "base": "EUR", "date": "2025-10-01"})
    assert owner.post(URL, body).status_code == 200
    (event,) = AuditEvent.objects.filter(action="exchange_rates.uploaded")
    assert event.organization_id == owner.organization.pk
    assert event.actor_user_id == membership.user_id
    assert event.object_type == "exchange_rates"
    assert event.object_id == ""
    assert event.changes == {
        "count": 2,
        "currencies": ["EUR", "KES", "USD"],
        "dates": {"from": "2025-10-01", "to": "2025-10-30"},
    }


def test_an_upload_announces_its_change_and_moves_the_cache_version(
    django_capture_on_commit_callbacks,
) -> None:
    owner = make_member("Org Up", "owner")[0]
    other = make_member("Org Up Other", "owner")[0]
    heard: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        heard.append(kwargs)

    rates_changed.connect(receiver)
    try:
        before, before_other = fx_version(owner.organization.pk), fx_version(other.organization.pk)
        with django_capture_on_commit_callbacks(execute=True):
            assert owner.post(URL, _body(RATE)).status_code == 200
        assert len(heard) == 1
        assert heard[0]["organization_id"] == owner.organization.pk
        assert heard[0]["currencies"] == frozenset({"USD", "KES"})
        assert heard[0]["dates"] == (dt.date(2025, 10, 30), dt.date(2025, 10, 30))
        assert fx_version(owner.organization.pk) != before
        assert fx_version(other.organization.pk) == before_other
        # The same rates again: nothing changed, nothing announced.
        with django_capture_on_commit_callbacks(execute=True):
            assert owner.post(URL, _body(RATE)).json()["unchanged"] == 1
        assert len(heard) == 1
    finally:
        rates_changed.disconnect(receiver)


def test_get_answers_the_rate_of_the_day() -> None:
    reader = make_client("Org Up", scopes=["read"])
    put(dt.date(2025, 10, 30), "EUR", "USD", "1.1550")
    put(dt.date(2025, 10, 30), "EUR", "ZAR", "20.0421")
    put(dt.date(2025, 10, 30), "USD", "KES", "129.25", reader.organization)
    answer = reader.get(URL, base="USD", quote="KES", date="2025-11-01")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "base": "USD",
        "quote": "KES",
        "date": "2025-11-01",
        "rate": "129.25",
        "rate_date": "2025-10-30",
        "source": "upload",
    }
    answer = reader.get(URL, base="USD", quote="EUR", date="2025-10-30").json()
    assert answer["rate"] == "0.8658008658008658008658008658"
    assert answer["source"] == "ecb"
    assert reader.get(URL, base="EUR", quote="USD", date="2025-10-30").json()["rate"] == "1.155"
    assert reader.get(URL, base="KES", quote="ZAR", date="2025-10-30").json()["source"] == (
        "derived"
    )
    assert reader.get(URL, base="USD", quote="USD").json()["rate"] == "1"


def test_get_defaults_to_today_and_never_prints_an_exponent() -> None:
    analyst = make_member("Org Up", "analyst")[0]
    today = timezone.now().date()
    put(today, "USD", "VND", "26000", analyst.organization)
    put(today, "EUR", "IDR", "0.000000000001", analyst.organization)
    assert analyst.get(URL, base="USD", quote="VND").json()["rate"] == "26000"
    assert analyst.get(URL, base="EUR", quote="IDR").json()["rate"] == "0.000000000001"
    assert analyst.get(URL, base="IDR", quote="EUR").json()["rate"] == "1000000000000"


def test_get_missing_is_a_404_problem() -> None:
    reader = make_client("Org Up", scopes=["read"])
    answer = reader.get(URL, base="USD", quote="KES", date="2025-10-30")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["status"] == 404


@pytest.mark.parametrize(
    ("query", "pointers"),
    [
        ({}, ["/base", "/quote"]),
        ({"base": "USD"}, ["/quote"]),
        ({"base": "usd", "quote": "KES"}, ["/base"]),
        ({"base": "USD", "quote": "XXX"}, ["/quote"]),
        ({"base": "USD", "quote": "KES", "date": "2025-13-01"}, ["/date"]),
        ({"base": "USD", "quote": "KES", "date": "9999-12-31"}, ["/date"]),
        ({"base": "\x00", "quote": "٣", "date": "x"}, ["/base", "/quote", "/date"]),
    ],
)
def test_get_bad_parameters_are_a_400_with_pointers(query, pointers) -> None:
    reader = make_client("Org Up", scopes=["read"])
    assert _pointers(reader.get(URL, **query)) == pointers


def test_another_organization_never_sees_an_upload() -> None:
    owner_a = make_member("Org A FX", "owner")[0]
    reader_b = make_client("Org B FX", scopes=["read"])
    assert owner_a.post(URL, _body(RATE)).status_code == 200
    assert owner_a.get(URL, base="USD", quote="KES", date="2025-10-30").status_code == 200
    assert reader_b.get(URL, base="USD", quote="KES", date="2025-10-30").status_code == 404
    assert reader_b.get(URL, base="KES", quote="USD", date="2025-10-30").status_code == 404


def test_bodies_that_are_not_json_objects(api) -> None:
    writer = make_client("Org Up", scopes=["write"])
    assert writer.post(URL, raw="{").status_code == 400
    assert writer.post(URL, raw=json.dumps(RATE), content_type="text/plain").status_code == 415
    assert not ExchangeRate.objects.exists()
