"""Login, refresh (rotation, reuse detection), logout, me; what a bad token gets."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import jwt
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from lucro.tenancy.models import Membership, RefreshToken, Role
from lucro.tenancy.services import organization_get_or_create, user_create, user_remove
from lucro.testing import ApiClient, make_client, make_member

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 42"


def _post(path: str, body: Any, **headers: str) -> Any:
    return Client().post(path, json.dumps(body), content_type="application/json", headers=headers)


def _login(email: str, password: str = PASSWORD, **extra: str) -> Any:
    return _post("/api/v1/auth/token/", {"email": email, "password": password, **extra})


def _person(org: str = "Acme", email: str = "ada@example.com", role: str = Role.OWNER) -> Any:
    organization = organization_get_or_create(name=org)
    return user_create(
        organization=organization, email=email, role=role, name="Ada", password=PASSWORD
    ).membership


def _bearer(access: str) -> ApiClient:
    return ApiClient(organization_get_or_create(name="Acme"), access, scheme="Bearer")


def test_login_me_refresh_logout() -> None:
    membership = _person()
    answer = _login("  ADA@example.com ")  # the login is the email, trimmed, any case
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["organization"] == {"id": str(membership.organization_id), "name": "Acme"}
    assert body["role"] == "owner"
    claims = jwt.decode(body["access"], options={"verify_signature": False})
    assert claims["organization_id"] == str(membership.organization_id)
    assert claims["role"] == "owner"
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] == 5 * 60

    me = _bearer(body["access"]).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {
        "user": {"id": str(membership.pk), "email": "ada@example.com", "name": "Ada"},
        "organization": {"id": str(membership.organization_id), "name": "Acme"},
        "role": "owner",
    }

    refreshed = _post("/api/v1/auth/token/refresh/", {"refresh": body["refresh"]})
    assert refreshed.status_code == 200
    pair = refreshed.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != body["refresh"]
    assert _bearer(pair["access"]).get("/api/v1/me/").status_code == 200

    logout = _bearer(pair["access"]).post("/api/v1/auth/logout/", {"refresh": pair["refresh"]})
    assert logout.status_code == 204
    dead = _post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]})
    assert dead.status_code == 401
    assert dead["Content-Type"] == "application/problem+json"


def test_me_for_an_api_key() -> None:
    client = make_client("Acme", scopes=["read"])
    body = client.get("/api/v1/me/").json()
    assert body["api_key"]["scopes"] == ["read"]
    assert body["api_key"]["prefix"].startswith("lk_")
    assert body["organization"]["name"] == "Acme"
    assert "user" not in body and "role" not in body


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family() -> None:
    membership = _person()
    first = _login("ada@example.com").json()
    second = _login("ada@example.com").json()  # another device: the same family
    rotated = _post("/api/v1/auth/token/refresh/", {"refresh": first["refresh"]}).json()

    replay = _post("/api/v1/auth/token/refresh/", {"refresh": first["refresh"]})
    assert replay.status_code == 401
    assert replay.json()["status"] == 401
    # Every refresh token of that user in that organization is dead now.
    for token in (rotated["refresh"], second["refresh"]):
        assert _post("/api/v1/auth/token/refresh/", {"refresh": token}).status_code == 401
    live = RefreshToken.objects.filter(user_id=membership.user_id, revoked_at__isnull=True)
    assert not live.exists()


def test_reuse_revokes_only_that_organization() -> None:
    acme = _person()
    _person(org="Globex", role=Role.ANALYST)
    at_acme = _login("ada@example.com", organization="Acme").json()
    at_globex = _login("ada@example.com", organization=str(acme.organization_id)).json()
    assert at_globex["organization"]["name"] == "Acme"  # by id too
    globex = _login("ada@example.com", organization="Globex").json()
    assert globex["role"] == "analyst"
    _post("/api/v1/auth/token/refresh/", {"refresh": at_acme["refresh"]})
    _post("/api/v1/auth/token/refresh/", {"refresh": at_acme["refresh"]})  # replay
    assert _post("/api/v1/auth/token/refresh/", {"refresh": globex["refresh"]}).status_code == 200


def test_a_member_of_several_organizations_must_name_one() -> None:
    _person()
    _person(org="Globex")
    answer = _login("ada@example.com")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["pointer"] == "/organization"
    assert _login("ada@example.com", organization="Initech").status_code == 400


def test_unknown_email_and_wrong_password_get_the_same_answer() -> None:
    _person()
    unknown = _login("nobody@example.com")
    wrong = _login("ada@example.com", "not the password at all")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown["WWW-Authenticate"] == wrong["WWW-Authenticate"]
    assert unknown["Content-Type"] == "application/problem+json"


def test_an_inactive_user_cannot_log_in_and_loses_their_sessions() -> None:
    membership = _person()
    session = _login("ada@example.com").json()
    user = membership.user
    user.is_active = False
    user.save()
    assert _login("ada@example.com").status_code == 401
    assert _bearer(session["access"]).get("/api/v1/me/").status_code == 401
    assert _post("/api/v1/auth/token/refresh/", {"refresh": session["refresh"]}).status_code == 401


def test_a_removed_member_is_out_at_once() -> None:
    _person()  # the owner stays
    client, membership, session = make_member("Acme", Role.ANALYST)
    assert client.get("/api/v1/me/").status_code == 200
    user_remove(membership=membership)
    assert client.get("/api/v1/me/").status_code == 401
    refresh = _post("/api/v1/auth/token/refresh/", {"refresh": session.refresh})
    assert refresh.status_code == 401
    assert (
        RefreshToken.objects.get(
            jti=jwt.decode(session.refresh, options={"verify_signature": False})["jti"]
        ).revoked_at
        is not None
    )


def test_a_membership_deleted_anywhere_kills_its_refresh_tokens() -> None:
    _, membership, session = make_member("Acme", Role.ADMIN)
    Membership.objects.filter(pk=membership.pk).delete()  # a queryset delete (the admin's)
    assert _post("/api/v1/auth/token/refresh/", {"refresh": session.refresh}).status_code == 401


def test_a_changed_role_applies_to_the_next_request() -> None:
    client, membership, _ = make_member("Acme", Role.ADMIN)
    assert client.get("/api/v1/users/").status_code == 200
    Membership.objects.filter(pk=membership.pk).update(role=Role.ANALYST)
    assert client.get("/api/v1/users/").status_code == 403


def test_an_expired_access_token_is_refused() -> None:
    client, _, session = make_member("Acme", Role.OWNER)
    assert client.get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5, seconds=1), tick=False):
        answer = client.get("/api/v1/me/")
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, seconds=1), tick=False):
        refresh = _post("/api/v1/auth/token/refresh/", {"refresh": session.refresh})
    assert refresh.status_code == 401


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forgeries(access: str) -> dict[str, str]:
    claims = jwt.decode(access, options={"verify_signature": False})
    header, payload, signature = access.split(".")
    return {
        "another key": jwt.encode(claims, "not-the-signing-key-" * 3, algorithm="HS256"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg none, no dot": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}",
        "truncated": access[:-5],
        "payload swapped": ".".join(
            (header, _b64({**claims, "role": "owner", "user_id": 1}), signature)
        ),
        "a refresh token": "",  # filled below
        "garbage": "not.a.jwt",
        "empty segments": "..",
    }


def test_forged_and_broken_tokens_get_a_401_problem() -> None:
    client, _, session = make_member("Acme", Role.ANALYST)
    forgeries = _forgeries(client.key)
    forgeries["a refresh token"] = session.refresh
    for name, token in forgeries.items():
        answer = ApiClient(client.organization, token, scheme="Bearer").get("/api/v1/me/")
        assert answer.status_code == 401, name
        assert answer["Content-Type"] == "application/problem+json", name
        assert answer.json()["status"] == 401, name
        assert "Bearer" in answer["WWW-Authenticate"], name
    # Nor is an access token a refresh token.
    refused = _post("/api/v1/auth/token/refresh/", {"refresh": client.key})
    assert refused.status_code == 401


def test_an_unknown_bearer_key_is_a_401_not_a_500() -> None:
    for raw in ("lk_unknown", "lk_", "x" * 5000, "é"):
        answer = Client().get("/api/v1/me/", headers={"Authorization": f"Bearer {raw}"})
        assert answer.status_code == 401, raw
        assert answer["Content-Type"] == "application/problem+json"


def test_logout_needs_the_callers_own_refresh_token() -> None:
    client, _, session = make_member("Acme", Role.ANALYST)
    _, _, other_session = make_member("Acme", Role.ANALYST)
    assert (
        client.post("/api/v1/auth/logout/", {"refresh": other_session.refresh}).status_code == 401
    )
    assert (
        _post("/api/v1/auth/token/refresh/", {"refresh": other_session.refresh}).status_code == 200
    )
    assert (
        make_client("Acme").post("/api/v1/auth/logout/", {"refresh": session.refresh}).status_code
        == 403
    )
    assert client.post("/api/v1/auth/logout/", {"refresh": session.refresh}).status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "ada@example.com"},
        {"email": 5, "password": PASSWORD},
        {"email": "ada@example.com", "password": None},
        {"email": "ada@example.com", "password": PASSWORD, "organization": ["x"]},
        [],
        "text",
    ],
)
def test_malformed_logins_are_400(body: Any) -> None:
    answer = _post("/api/v1/auth/token/", body)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"


def test_malformed_login_bodies_are_problems() -> None:
    raw = Client().post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert raw.status_code == 400
    wrong_type = Client().post("/api/v1/auth/token/", "email=a", content_type="text/plain")
    assert wrong_type.status_code == 415
    for body in ({"refresh": ""}, {"refresh": 5}, {}):
        assert _post("/api/v1/auth/token/refresh/", body).status_code == 400


def test_passwords_are_hashed_with_argon2() -> None:
    membership = _person()
    assert membership.user.password.startswith("argon2$argon2id$")


def test_a_weak_password_is_refused() -> None:
    organization = organization_get_or_create(name="Acme")
    owner, _, _ = make_member("Acme", Role.OWNER)
    answer = owner.post(
        "/api/v1/users/", {"email": "bob@example.com", "role": "analyst", "password": "12345678"}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["pointer"] == "/password"
    assert not Membership.objects.filter(
        organization=organization, user__username="bob@example.com"
    ).exists()


def test_an_unknown_email_costs_the_same_argon2_work_as_a_wrong_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    _person()
    calls: list[str] = []
    verify = Argon2PasswordHasher.verify

    def counting(self: Argon2PasswordHasher, password: str, encoded: str) -> bool:
        calls.append(encoded.split("$")[3])  # the parameters: same cost for both
        return verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "verify", counting)
    _login("nobody@example.com")
    unknown = list(calls)
    calls.clear()
    _login("ada@example.com", "not the password at all")
    assert len(unknown) == len(calls) == 1
    assert unknown == calls


def test_a_login_sweeps_the_persons_expired_refresh_records() -> None:
    membership = _person()
    _login("ada@example.com")
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        _login("ada@example.com")
    records = RefreshToken.objects.filter(user_id=membership.user_id)
    assert records.count() == 1  # the new one; the expired one is gone
