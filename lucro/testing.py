"""Helpers for tests: an authenticated JSON client and valid payloads.

Outside the app layers (like ``django.test``): it spans tenancy (keys) and ingestion
(payloads), and only tests import it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.test import Client

from lucro.tenancy.models import Membership, Organization, User
from lucro.tenancy.services import api_key_create, organization_get_or_create
from lucro.tenancy.tokens import Session, session_issue


class ApiClient:
    """A test client that sends one organization's credential and JSON bodies.

    ``key`` is an API key (sent as ``Token``) or, with ``scheme="Bearer"``, a user's access
    token.
    """

    def __init__(self, organization: Organization, key: str, scheme: str = "Token") -> None:
        self.organization = organization
        self.key = key
        self.scheme = scheme
        self.client = Client()

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"{self.scheme} {self.key}"}
        headers.update(extra or {})
        return headers

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(path, params, headers=self._headers(headers))

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            path, data=data, content_type=content_type, headers=self._headers(headers)
        )

    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            path,
            data=json.dumps(body),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(
            path,
            data=json.dumps(body),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(path, headers=self._headers(headers))


def make_client(name: str, scopes: list[str] | None = None) -> ApiClient:
    """Return a client for a new key of organization ``name`` (created if needed)."""
    organization = organization_get_or_create(name=name)
    return ApiClient(organization, api_key_create(organization=organization, scopes=scopes).raw_key)


def make_member(
    name: str, role: str, email: str | None = None
) -> tuple[ApiClient, Membership, Session]:
    """Return a Bearer client for a new user with ``role`` in organization ``name``.

    The user has no usable password and the tokens are issued directly: Argon2 costs
    ≈ 0.2 s a hash here, and only the login tests need the password path.
    """
    organization = organization_get_or_create(name=name)
    email = email or f"{role}.{uuid.uuid4().hex[:8]}@example.com"
    user = User(username=email, email=email, first_name=role.title())
    user.set_unusable_password()
    user.save()
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    session = session_issue(membership=membership)
    return ApiClient(organization, session.access, scheme="Bearer"), membership, session


def make_batch(
    n: int = 1,
    *,
    account_id: str = "acc_1",
    currency: str = "USD",
    start: int = 0,
    request_id: str | None = None,
    include_account: bool = True,
    **txn_overrides: Any,
) -> dict[str, Any]:
    """Return a valid ingestion payload with ``n`` transactions."""
    transactions = []
    for i in range(start, start + n):
        txn = {
            "transaction_id": f"tx_{i}",
            "account_id": account_id,
            "amount": f"-{(i % 500) + 1}.25" if currency != "JPY" else -(i + 1),
            "iso_currency_code": currency,
            "date": f"2025-10-{(i % 28) + 1:02d}",
            "authorized_date": None,
            "name": f"AMAZON MARKETPLACE {i}",
            "merchant_name": "Amazon",
            "payment_channel": "online",
            "pending": False,
        }
        txn.update(txn_overrides)
        transactions.append(txn)
    payload: dict[str, Any] = {
        "accounts": (
            [
                {
                    "account_id": account_id,
                    "name": "Checking",
                    "type": "depository",
                    "subtype": "checking",
                    "mask": "1111",
                }
            ]
            if include_account
            else []
        ),
        "transactions": transactions,
        "total_transactions": n,
    }
    if request_id is not None:
        payload["request_id"] = request_id
    return payload
