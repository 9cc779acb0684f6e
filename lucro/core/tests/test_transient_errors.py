"""A transient database failure anywhere in the API is a 503 with Retry-After, never a 500."""

from __future__ import annotations

from django.db import OperationalError

from lucro.core.errors import problem_exception_handler, transient_db_error


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("boom")
        self.sqlstate = sqlstate


def _operational(sqlstate: str | None, message: str = "boom") -> OperationalError:
    error = OperationalError(message)
    if sqlstate is not None:
        error.__cause__ = _PgError(sqlstate)
    return error


def test_transient_errors_are_classified():
    assert transient_db_error(_operational("40P01")) == "deadlock"
    assert transient_db_error(_operational("40001")) == "serialization"
    assert transient_db_error(_operational("55P03")) == "lock-timeout"
    assert transient_db_error(_operational(None, "database is locked")) == "lock-timeout"
    assert transient_db_error(_operational("08006")) is None
    assert transient_db_error(ValueError("40P01")) is None


def test_a_deadlock_outside_a_retrying_service_is_503():
    response = problem_exception_handler(_operational("40P01"), {})
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.content_type == "application/problem+json"
    assert response.data["status"] == 503


def test_other_operational_errors_stay_500():
    response = problem_exception_handler(_operational("08006"), {})
    assert response is not None
    assert response.status_code == 500
    assert "Retry-After" not in response
