"""Rate limits through HTTP with the shared Postgres counters: 429 + Retry-After."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from core.bootstrap import build_services
from tests.e2e.api.conftest import sign_up


def test_per_user_and_per_ip_limits_answer_429_with_retry_after(api_settings, engine):
    settings = api_settings.model_copy(
        update={"api_rate_limit": "3/minute", "api_rate_limit_ip": "8/minute"}
    )
    services = build_services(settings, engine=engine)
    try:
        app = create_app(settings, services=services)
        with TestClient(app, base_url="http://testserver/api/v1") as client:
            headers = sign_up(client)  # 1 IP hit
            codes = [client.get("/auth/me", headers=headers).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            limited = client.get("/auth/me", headers=headers)
            assert limited.status_code == 429
            assert limited.headers["content-type"] == "application/problem+json"
            assert 1 <= int(limited.headers["retry-after"]) <= 60
            assert limited.json()["code"] == "rate_limited"
            # the IP budget (8) is now used up too, even for anonymous calls ...
            anon = [
                client.post("/auth/sign-in", json={"email": "a@b.cd", "password": "x"})
                for _ in range(3)
            ]
            assert anon[-1].status_code == 429
            # a junk bearer token does not dodge the IP limit
            junk = client.post(
                "/auth/sign-in",
                json={"email": "a@b.cd", "password": "x"},
                headers={"Authorization": "Bearer junk"},
            )
            assert junk.status_code == 429
            # ... but health probes are never limited
            assert client.get("/health").status_code == 200
    finally:
        services.close()


def test_a_second_app_instance_shares_the_counters(api_settings, engine):
    settings = api_settings.model_copy(
        update={"api_rate_limit": "2/minute", "api_rate_limit_ip": "1000/minute"}
    )
    first = build_services(settings, engine=engine)
    second = build_services(settings, engine=engine)
    try:
        with (
            TestClient(create_app(settings, services=first), base_url="http://t/api/v1") as a,
            TestClient(create_app(settings, services=second), base_url="http://t/api/v1") as b,
        ):
            headers = sign_up(a)
            assert a.get("/auth/me", headers=headers).status_code == 200
            assert b.get("/auth/me", headers=headers).status_code == 200
            assert b.get("/auth/me", headers=headers).status_code == 429
            assert a.get("/auth/me", headers=headers).status_code == 429
    finally:
        first.close()
        second.close()
