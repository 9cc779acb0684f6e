"""Managing people and keys: who may, the last owner, keys shown once, tenancy."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from lucro.tenancy.models import ApiKey, Membership, Role
from lucro.testing import ApiClient, make_client, make_member

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 42"


def _owner(org: str = "Acme") -> ApiClient:
    return make_member(org, Role.OWNER)[0]


def test_an_owner_adds_lists_changes_and_removes_people() -> None:
    owner = _owner()
    created = owner.post(
        "/api/v1/users/",
        {"email": "Bob@Example.com", "name": "Bob", "role": "analyst", "password": PASSWORD},
    )
    assert created.status_code == 201, created.content
    bob = created.json()
    assert bob == {"id": bob["id"], "email": "bob@example.com", "name": "Bob", "role": "analyst"}
    assert created["Location"] == f"/api/v1/users/{bob['id']}/"
    # Bob logs in with what was set.
    login = Client().post(
        "/api/v1/auth/token/",
        {"email": "bob@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert login.status_code == 200

    listed = owner.get("/api/v1/users/", limit=1)
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 1 and listed.json()["next"]
    second = Client().get(listed.json()["next"], headers={"Authorization": f"Bearer {owner.key}"})
    emails = {listed.json()["results"][0]["email"], second.json()["results"][0]["email"]}
    assert "bob@example.com" in emails

    patched = owner.patch(f"/api/v1/users/{bob['id']}/", {"role": "admin", "name": "Robert"})
    assert patched.json()["role"] == "admin" and patched.json()["name"] == "Robert"
    assert owner.get(f"/api/v1/users/{bob['id']}/").json()["role"] == "admin"
    assert owner.delete(f"/api/v1/users/{bob['id']}/").status_code == 204
    assert owner.get(f"/api/v1/users/{bob['id']}/").status_code == 404


def test_adding_a_member_twice_is_a_conflict() -> None:
    owner = _owner()
    body = {"email": "bob@example.com", "role": "analyst", "password": PASSWORD}
    assert owner.post("/api/v1/users/", body).status_code == 201
    again = owner.post("/api/v1/users/", body)
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"


def test_a_person_in_two_organizations_keeps_one_password() -> None:
    acme, globex = _owner("Acme"), _owner("Globex")
    acme.post(
        "/api/v1/users/", {"email": "bob@example.com", "role": "analyst", "password": PASSWORD}
    )
    # Globex's owner adds the same person: the membership only, the password is untouched.
    added = globex.post(
        "/api/v1/users/",
        {"email": "bob@example.com", "role": "admin", "password": "another passphrase 77"},
    )
    assert added.status_code == 201
    login = Client().post(
        "/api/v1/auth/token/",
        {"email": "bob@example.com", "password": PASSWORD, "organization": "Globex"},
        content_type="application/json",
    )
    assert login.status_code == 200 and login.json()["role"] == "admin"


def test_an_organization_never_loses_its_last_owner() -> None:
    owner, membership, _ = make_member("Acme", Role.OWNER)
    me = str(membership.pk)
    demote = owner.patch(f"/api/v1/users/{me}/", {"role": "admin"})
    assert demote.status_code == 409
    assert demote["Content-Type"] == "application/problem+json"
    assert owner.delete(f"/api/v1/users/{me}/").status_code == 409
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER
    # With a second owner, the first may step down.
    second = owner.post(
        "/api/v1/users/", {"email": "co@example.com", "role": "owner", "password": PASSWORD}
    )
    assert second.status_code == 201
    assert owner.patch(f"/api/v1/users/{me}/", {"role": "admin"}).status_code == 200


def test_admins_manage_everyone_but_owners() -> None:
    _, owner_membership, _ = make_member("Acme", Role.OWNER)
    admin = make_member("Acme", Role.ADMIN)[0]
    owner_id = str(owner_membership.pk)
    body = {"email": "o2@example.com", "role": "owner", "password": PASSWORD}
    assert admin.post("/api/v1/users/", body).status_code == 403
    assert admin.patch(f"/api/v1/users/{owner_id}/", {"role": "analyst"}).status_code == 403
    assert admin.patch(f"/api/v1/users/{owner_id}/", {"name": "Renamed"}).status_code == 403
    assert admin.delete(f"/api/v1/users/{owner_id}/").status_code == 403
    analyst = admin.post(
        "/api/v1/users/", {"email": "an@example.com", "role": "analyst", "password": PASSWORD}
    ).json()
    assert admin.patch(f"/api/v1/users/{analyst['id']}/", {"role": "admin"}).status_code == 200
    assert admin.patch(f"/api/v1/users/{analyst['id']}/", {"role": "owner"}).status_code == 403
    assert Membership.objects.get(pk=owner_membership.pk).role == Role.OWNER


def test_another_organizations_people_and_keys_are_not_found() -> None:
    _, stranger, _ = make_member("Globex", Role.ANALYST)
    key = make_client("Globex")
    owner = _owner("Acme")
    stranger_key = ApiKey.objects.filter(organization=key.organization).first()
    assert stranger_key is not None
    for path in (f"/api/v1/users/{stranger.pk}/", f"/api/v1/users/{uuid.uuid4()}/"):
        assert owner.get(path).status_code == 404
        assert owner.patch(path, {"role": "admin"}).status_code == 404
        assert owner.delete(path).status_code == 404
    assert owner.delete(f"/api/v1/api-keys/{stranger_key.pk}/").status_code == 404
    assert owner.delete("/api/v1/api-keys/not-a-uuid/").status_code == 404
    assert key.get("/api/v1/me/").status_code == 200  # untouched
    assert all(
        u["email"] != stranger.user.email for u in owner.get("/api/v1/users/").json()["results"]
    )


def test_an_api_key_is_shown_once_scoped_and_revocable() -> None:
    owner = _owner()
    created = owner.post("/api/v1/api-keys/", {"name": "reader", "scopes": ["read", "read"]})
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("lk_") and body["scopes"] == ["read"]
    assert created["Location"] == f"/api/v1/api-keys/{body['id']}/"
    listed = owner.get("/api/v1/api-keys/").json()["results"]
    assert [k["prefix"] for k in listed] == [body["prefix"]]
    assert all("key" not in k and "hashed_key" not in k for k in listed)
    reader = ApiClient(owner.organization, body["key"])
    assert reader.get("/api/v1/transactions/").status_code == 200
    assert reader.post("/api/v1/integrations/transactions/", {}).status_code == 403
    assert owner.delete(f"/api/v1/api-keys/{body['id']}/").status_code == 204
    assert reader.get("/api/v1/transactions/").status_code == 401
    assert owner.delete(f"/api/v1/api-keys/{body['id']}/").status_code == 204  # idempotent
    assert owner.get("/api/v1/api-keys/").json()["results"][0]["revoked_at"] is not None


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["admin"]},
        {"name": "x", "scopes": "read"},
        {"name": "", "scopes": ["read"]},
        {"scopes": ["read"]},
    ],
)
def test_bad_key_requests_are_400(body: dict[str, object]) -> None:
    answer = _owner().post("/api/v1/api-keys/", body)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert not ApiKey.objects.filter(name="x").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "role": "analyst"},
        {"email": "a@example.com", "role": "boss"},
        {"email": "a@example.com"},
        {"email": ("x" * 150) + "@example.com", "role": "analyst"},
        {"email": 7, "role": "analyst"},
    ],
)
def test_bad_user_requests_are_400(body: dict[str, object]) -> None:
    answer = _owner().post("/api/v1/users/", body)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"]


def test_create_user_command_generates_a_password_on_the_last_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_user",
        "--email",
        "Cli@Example.com",
        "--org",
        "Cli Org",
        "--role",
        "owner",
        stdout=out,
        stderr=err,
    )
    password = out.getvalue().strip().splitlines()[-1]
    assert len(password) >= 20
    assert "cli@example.com is owner of 'Cli Org'" in err.getvalue()
    login = Client().post(
        "/api/v1/auth/token/",
        {"email": "cli@example.com", "password": password},
        content_type="application/json",
    )
    assert login.status_code == 200 and login.json()["organization"]["name"] == "Cli Org"


def test_create_user_command_reads_the_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    out = io.StringIO()
    call_command(
        "create_user",
        "--email",
        "in@example.com",
        "--org",
        "Cli Org",
        "--role",
        "analyst",
        "--password-stdin",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert out.getvalue() == ""  # nothing secret printed
    login = Client().post(
        "/api/v1/auth/token/",
        {"email": "in@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert login.json()["role"] == "analyst"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="password"):
        call_command(
            "create_user",
            "--email",
            "weak@example.com",
            "--org",
            "Cli Org",
            "--role",
            "analyst",
            "--password-stdin",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
