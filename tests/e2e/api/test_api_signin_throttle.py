"""F6 through HTTP: the sign-in lock is keyed by e-mail and client address.

The API resolves the client address as it does for rate limiting (uvicorn's proxy headers from a
trusted proxy; here the loopback client is trusted, as Caddy is in production), so one attacker
address failing over and over must not lock the account's owner out of their own address.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.api.conftest import sign_up

pytestmark = pytest.mark.security

PASSWORD = "a long enough password"


def _sign_in(http: httpx.Client, email: str, password: str, address: str) -> httpx.Response:
    return http.post(
        "/auth/sign-in",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


def test_an_attacker_address_failing_does_not_lock_the_owner_out(http: httpx.Client) -> None:
    email = f"throttle-{uuid.uuid4().hex[:10]}@example.test"
    sign_up(http, email)
    attacker = [_sign_in(http, email, "wrong password!", "203.0.113.9") for _ in range(8)]
    statuses = [r.status_code for r in attacker]
    assert statuses[:5] == [401] * 5, statuses
    assert 429 in statuses[5:], statuses
    limited = next(r for r in attacker if r.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1
    owner = _sign_in(http, email, PASSWORD, "198.51.100.77")
    assert owner.status_code == 200, owner.text
    assert owner.json()["user"]["email"] == email
