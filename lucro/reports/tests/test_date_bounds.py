"""Report and list parameters are bounded; rows at the edges of the range report fine."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from lucro.ingestion.models import Transaction
from lucro.reports.tests.conftest import ingest, write_back

REPORTS = [
    "/api/v1/reports/accounts/acc_1/summary/",
    "/api/v1/reports/accounts/acc_1/categories/",
    "/api/v1/reports/accounts/acc_1/timeseries/",
    "/api/v1/reports/summary/",
    "/api/reports/account/acc_1/summary/",
    "/api/reports/account/acc_1/summary",
]
LIST = "/api/v1/transactions/"


@pytest.fixture
def edges(api, categories, commit):
    """Rows dated at both edges of the accepted range, and one past it, all completed.

    Dated through the ORM: ingest accepted 9999-12-31 before dates were bounded, so such
    rows may be stored already.
    """
    with commit():
        ingest(
            api.organization,
            [
                {"transaction_id": f"t{i}", "amount": "-2.50", "date": "2025-10-01", "name": "x"}
                for i in range(4)
            ],
        )
    rows = {t.transaction_id: t.pk for t in Transaction.objects.all()}
    for txn_id, date in [
        ("t0", dt.date(2100, 12, 31)),
        ("t1", dt.date(1900, 1, 1)),
        ("t2", dt.date(9999, 12, 31)),
    ]:
        Transaction.objects.filter(pk=rows[txn_id]).update(date=date)
    with commit():
        write_back(rows.values(), category=categories["coffee"])
    return rows


def _pointers(response) -> list[str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return [e["pointer"] for e in response.json()["errors"]]


@pytest.mark.parametrize("path", REPORTS)
@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-07"), ("2101-01-01", "2101-01-31")],
)
def test_dates_outside_the_range_are_a_400_naming_both(api, edges, path, start, end):
    # 9999-12-31 overflowed the day-after-the-end arithmetic: a 500 on every report.
    response = api.get(path, start_date=start, end_date=end, interval="week")
    assert _pointers(response) == ["/start_date", "/end_date"]
    assert "between 1900-01-01 and 2100-12-31" in response.json()["detail"]


@pytest.mark.parametrize("path", REPORTS)
@pytest.mark.parametrize("value", ["20250505", "2025-W01", "٢٠٢٥-٠١-٠١", "2025-02-30"])
def test_dates_have_one_spelling(api, edges, path, value):
    response = api.get(path, start_date=value, end_date="2025-10-31")
    assert _pointers(response) == ["/start_date"]


@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize(
    ("start", "end"), [("2100-12-01", "2100-12-31"), ("1900-01-01", "1900-01-31")]
)
def test_rows_at_the_edges_of_the_range_report(api, edges, interval, start, end):
    base = "/api/v1/reports/accounts/acc_1/"
    summary = api.get(f"{base}summary/", start_date=start, end_date=end)
    assert summary.status_code == 200, summary.content
    assert summary.json()["metrics"]["total_transactions"] == 1
    assert summary.json()["metrics"]["total_spend"] == "2.50"
    categories = api.get(f"{base}categories/", start_date=start, end_date=end)
    assert categories.json()["metrics"]["total_transactions"] == 1
    series = api.get(f"{base}timeseries/", start_date=start, end_date=end, interval=interval)
    assert series.status_code == 200, series.content
    assert sum(p["transaction_count"] for p in series.json()["series"]) == 1
    assert series.json()["series"][0]["start"] == start
    assert series.json()["series"][-1]["end"] == end
    org = api.get("/api/v1/reports/summary/", start_date=start, end_date=end)
    assert org.json()["currencies"][0]["metrics"]["total_transactions"] == 1


def test_the_list_pages_through_a_row_stored_past_the_range(api, edges):
    # The cursor carries the 9999-12-31 row's date: a cursor the API wrote must decode.
    seen, url, params = [], LIST, {"limit": "1"}
    while url:
        response = api.get(url, **params)
        assert response.status_code == 200, response.content
        seen += [row["date"] for row in response.json()["results"]]
        url, params = response.json()["next"], {}
    assert seen == ["9999-12-31", "2100-12-31", "2025-10-01", "1900-01-01"]


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"limit": "²"}, "/limit"),
        ({"limit": "①"}, "/limit"),
        ({"limit": "５０"}, "/limit"),
        ({"start_date": "9999-12-31"}, "/start_date"),
        ({"end_date": "0001-01-01"}, "/end_date"),
        ({"start_date": "20250505"}, "/start_date"),
        ({"cursor": base64.urlsafe_b64encode(b"[" * 1000 + b"]" * 1000).decode()}, "/cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"[" * 60).decode()}, "/cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'["\\ud800", "a", "b"]').decode()}, "/cursor"),
        (
            {
                "cursor": base64.urlsafe_b64encode(
                    b'["2025-01-01", "9999-12-31T23:59:59-14:00", '
                    b'"0190a0b8-7c7e-7000-8000-000000000000"]'
                ).decode()
            },
            "/cursor",
        ),
    ],
)
def test_list_parameters_are_strict(api, edges, params, pointer):
    assert _pointers(api.get(LIST, **params)) == [pointer]
