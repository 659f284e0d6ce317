"""The API on Supabase Auth (the loopback fake): Auth's answers as what they are (issue 18).

Confirmation needed is 202 with a state, not 401; rate limits are 429 with Auth's Retry-After
and the hourly e-mail limit has its own code; a weak or over-long password is 422; a malformed
refresh token is 401, not 422; sign-out is local unless ``everywhere=true``; the end user's
address reaches Auth as Sb-Forwarded-For when an sb_secret_ key is configured.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from core.bootstrap import build_services
from core.config import Settings
from tests.conftest import TEST_JWT_SECRET
from tests.fakes.supabase_fake import SupabaseFake, running_fake

PASSWORD = "a long enough password"


@dataclass
class Api:
    http: TestClient
    fake: SupabaseFake


@pytest.fixture
def api(test_settings: Settings, engine: Engine) -> Iterator[Api]:
    from api.main import create_app

    with running_fake(key_setup="new") as fake:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            environment="test",
            database_url=test_settings.database_url,
            data_dir=test_settings.data_dir,
            jwt_secret=TEST_JWT_SECRET,  # local storage signs its download URLs with it
            auth_backend="supabase",
            storage_backend="local",
            extraction_backend="offline",
            supabase_url=fake.url,
            supabase_anon_key=fake.anon_key,
            supabase_service_key=fake.secret_key,
            jwks_url=fake.jwks_url,  # the fake signs ES256 in this key setup
            supabase_session_check=False,  # the fake keeps sessions in memory, not auth.sessions
            api_rate_limit="100000/minute",
            api_rate_limit_ip="100000/minute",
        )
        services = build_services(settings, engine=engine)
        try:
            with TestClient(
                create_app(settings, services=services), base_url="http://t/api/v1"
            ) as c:
                yield Api(c, fake)
        finally:
            services.close()


def _address() -> str:
    return f"api-{uuid.uuid4().hex[:10]}@example.test"


def test_unconfirmed_sign_in_is_202_with_a_state(api: Api) -> None:
    api.fake.confirm_email = True
    address = _address()
    assert (
        api.http.post("/auth/sign-up", json={"email": address, "password": PASSWORD}).json()[
            "state"
        ]
        == "confirm_email"
    )
    pending = api.http.post("/auth/sign-in", json={"email": address, "password": PASSWORD})
    assert pending.status_code == 202, pending.text
    assert pending.json()["state"] == "confirm_email"
    wrong = api.http.post("/auth/sign-in", json={"email": address, "password": "wrong " * 3})
    assert wrong.status_code == 401  # only the right password learns about confirmation


def test_rate_limits_carry_auths_wait_and_the_email_limit_is_its_own(api: Api) -> None:
    api.fake.gateway_retry_after = 42
    limited = api.http.post("/auth/sign-in", json={"email": _address(), "password": PASSWORD})
    api.fake.gateway_retry_after = None
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "42"
    assert limited.json()["code"] == "rate_limited"
    api.fake.confirm_email, api.fake.email_limit_per_hour = True, 0
    mail = api.http.post("/auth/sign-up", json={"email": _address(), "password": PASSWORD})
    assert mail.status_code == 429
    assert mail.json()["code"] == "email_rate_limited"
    assert mail.headers["retry-after"] == "3600"


def test_weak_and_over_long_passwords_are_422(api: Api) -> None:
    weak = api.http.post("/auth/sign-up", json={"email": _address(), "password": "12345"})
    assert (weak.status_code, weak.json()["code"]) == (422, "weak_password")
    long = api.http.post("/auth/sign-up", json={"email": _address(), "password": "é" * 37})
    assert (long.status_code, long.json()["code"]) == (422, "validation_failed")
    assert "72 bytes" in long.json()["detail"]


def test_malformed_refresh_token_is_401(api: Api) -> None:
    answer = api.http.post("/auth/refresh", json={"refresh_token": "not a refresh token!"})
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "invalid_token"


def test_sign_out_is_local_unless_everywhere(api: Api) -> None:
    address = _address()
    api.fake.add_user(address, PASSWORD)
    tokens = [
        api.http.post("/auth/sign-in", json={"email": address, "password": PASSWORD}).json()
        for _ in range(3)
    ]
    assert api.fake.last_headers("/token")["sb-forwarded-for"] == "testclient"

    def bearer(n: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[n]['access_token']}"}

    assert api.http.post("/auth/sign-out", headers=bearer(0)).status_code == 204
    assert len(api.fake.sessions) == 2
    assert api.http.post("/auth/sign-out?everywhere=true", headers=bearer(1)).status_code == 204
    assert api.fake.sessions == {}
    refused = api.http.post("/auth/refresh", json={"refresh_token": tokens[2]["refresh_token"]})
    assert refused.status_code == 401
