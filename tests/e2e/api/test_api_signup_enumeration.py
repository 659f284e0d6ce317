"""F11 through HTTP: sign-up answers the same status and body for new and existing addresses."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.security

PASSWORD = "a long enough password"


def test_sign_up_does_not_reveal_existing_addresses(http: httpx.Client) -> None:
    taken = f"enum-{uuid.uuid4().hex[:10]}@example.test"
    first = http.post("/auth/sign-up", json={"email": taken, "password": PASSWORD})
    fresh = http.post(
        "/auth/sign-up",
        json={"email": f"enum-{uuid.uuid4().hex[:10]}@example.test", "password": PASSWORD},
    )
    again = http.post("/auth/sign-up", json={"email": taken, "password": "somebody else's pw"})
    assert first.status_code == fresh.status_code == again.status_code == 202, again.text
    assert first.json() == fresh.json() == again.json()
    assert set(again.json()) == {"state", "message"}
    assert again.json()["state"] == "sign_in"
    # The client signs in next; only the account's own password works.
    signed_in = http.post("/auth/sign-in", json={"email": taken, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    assert (
        http.post(
            "/auth/sign-in", json={"email": taken, "password": "somebody else's pw"}
        ).status_code
        == 401
    )
