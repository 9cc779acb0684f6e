"""Authentication benchmark: what a user's JWT costs per request over an API key (SPEC §16).

The same request (``GET /api/v1/categories/``: the whole middleware and DRF stack, one
small cached answer) is sent in-process with an API key and with a user's access token,
alternately so that both see the same machine; the figure is the difference of the
medians. The reference is the API-key request itself, measured in the same run.
"""

from __future__ import annotations

import statistics
import time
import uuid

from django.test import Client

from bench.common import BenchRow, p95
from lucro.tenancy.models import Membership, Organization, Role, User
from lucro.tenancy.services import api_key_create
from lucro.tenancy.tokens import session_issue

REQUESTS = 600
WARMUP = 50
TARGET_MS = 1.0
PATH = "/api/v1/categories/"


def _time(client: Client, header: str) -> float:
    started = time.perf_counter()
    answer = client.get(PATH, headers={"Authorization": header})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.content
    return elapsed


def run() -> list[BenchRow]:
    organization = Organization.objects.create(name=f"bench-auth-{uuid.uuid4().hex[:8]}")
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    user = User.objects.create(username=email, email=email)
    try:
        membership = Membership.objects.create(
            user=user, organization=organization, role=Role.ANALYST
        )
        key = f"Token {api_key_create(organization=organization).raw_key}"
        bearer = f"Bearer {session_issue(membership=membership).access}"
        client = Client()
        for _ in range(WARMUP):
            _time(client, key)
            _time(client, bearer)
        keyed, jwt = [], []
        for _ in range(REQUESTS):
            keyed.append(_time(client, key))
            jwt.append(_time(client, bearer))
    finally:
        user.delete()
        organization.delete()
    key_ms, jwt_ms = statistics.median(keyed) * 1000, statistics.median(jwt) * 1000
    overhead = jwt_ms - key_ms
    return [
        BenchRow(
            f"JWT-authenticated request overhead over an API key (GET {PATH}, in-process, "
            f"{REQUESTS} each, alternated; difference of medians)",
            f"{overhead:+.3f} ms (JWT p50 {jwt_ms:.2f} / p95 {p95(jwt) * 1000:.2f} ms)",
            f"≤ {TARGET_MS:.0f} ms",
            f"API key: p50 {key_ms:.2f} / p95 {p95(keyed) * 1000:.2f} ms",
            "PASS" if overhead <= TARGET_MS else "FAIL",
        )
    ]
