"""F7 through HTTP: a revoked session's access token stops working within seconds."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.e2e.api.conftest import sign_up

pytestmark = pytest.mark.security


def _refused_within(http: httpx.Client, headers: dict[str, str], seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        status = http.get("/auth/me", headers=headers).status_code
        if status == 401 or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_signed_out_access_token_is_refused(http: httpx.Client) -> None:
    headers = sign_up(http)
    assert http.get("/auth/me", headers=headers).status_code == 200
    assert http.post("/auth/sign-out", headers=headers).status_code == 204
    refused = http.get("/auth/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    assert http.get("/clients", headers=headers).status_code == 401


@pytest.mark.parametrize("column", ["banned_until", "deleted_at"])
def test_banned_or_deleted_users_token_is_refused_within_seconds(
    http: httpx.Client, engine: Engine, column: str
) -> None:
    email = f"revoke-{uuid.uuid4().hex[:10]}@example.test"
    headers = sign_up(http, email)
    assert http.get("/auth/me", headers=headers).status_code == 200
    with engine.begin() as conn:
        conn.execute(
            text(f"update auth.users set {column} = now() + interval '1 day' where email = :e"),
            {"e": email},
        )
    # session_check_ttl_seconds defaults to 5 s: one process may answer from its cache that long.
    assert _refused_within(http, headers, 10) == 401
