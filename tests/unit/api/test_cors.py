"""CORS comes from ``Settings.cors_origins``: none by default, exactly the listed origins else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from core.config import Settings
from tests.fakes.ports import fake_services

PREFLIGHT = {
    "Origin": "https://erp.example.com",
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization,if-match",
}


def _client(**settings: object) -> TestClient:
    config = Settings(**settings)
    return TestClient(create_app(config, services=fake_services(config)))


def test_no_origin_is_allowed_by_default() -> None:
    with _client() as client:
        answer = client.options("/api/v1/health", headers=PREFLIGHT)
        simple = client.get("/api/v1/health", headers={"Origin": "https://erp.example.com"})
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in simple.headers


def test_a_listed_origin_may_call_with_a_bearer_token_and_if_match() -> None:
    with _client(cors_origins=("https://erp.example.com",)) as client:
        answer = client.options("/api/v1/health", headers=PREFLIGHT)
        other = client.options(
            "/api/v1/health", headers={**PREFLIGHT, "Origin": "https://evil.example"}
        )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "https://erp.example.com"
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "if-match" in allowed
    assert "access-control-allow-credentials" not in answer.headers
    assert "access-control-allow-origin" not in other.headers
