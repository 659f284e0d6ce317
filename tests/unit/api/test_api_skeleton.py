"""The API shell without a database: errors, request ids, metrics, rate limits, docs."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core import errors as e
from core.config import Settings
from tests.fakes.ports import fake_services


def _app(**settings):
    config = Settings(log_json=True, **settings)
    app = create_app(config, services=fake_services(config))

    @app.get("/boom/{kind}", include_in_schema=False)
    def boom(kind: str):
        table = {
            "notfound": e.NotFound("invoice not found"),
            "conflict": e.Conflict("stale version", current_version=3),
            "transition": e.InvalidTransition("no"),
            "large": e.TooLarge("too big"),
            "type": e.UnsupportedType("not a pdf"),
            "rate": e.RateLimited("slow down", retry_after=7.2),
            "upstream": e.UpstreamError("openai failed"),
            "timeout": e.UpstreamTimeout("openai slow"),
            "auth": e.TokenExpired("expired"),
            "weak": e.WeakPassword("too short"),
            "forbidden": e.Forbidden("viewer"),
            "invalid": e.ValidationFailed("bad rows", errors=[{"row": 3, "message": "x"}]),
            "crash": RuntimeError("SELECT secret FROM users; password=hunter2"),
        }
        raise table[kind]

    return app


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("notfound", 404, "not_found"),
        ("conflict", 409, "conflict"),
        ("transition", 409, "invalid_transition"),
        ("large", 413, "too_large"),
        ("type", 415, "unsupported_type"),
        ("rate", 429, "rate_limited"),
        ("upstream", 502, "upstream_error"),
        ("timeout", 504, "upstream_timeout"),
        ("auth", 401, "token_expired"),
        ("weak", 422, "weak_password"),
        ("forbidden", 403, "forbidden"),
        ("invalid", 422, "validation_failed"),
    ],
)
def test_domain_errors_map_to_problem_json_with_stable_codes(kind, status, code):
    with TestClient(_app()) as client:
        r = client.get(f"/boom/{kind}")
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == code and body["status"] == status
    assert body["request_id"] == r.headers["x-request-id"]
    if kind == "rate":
        assert r.headers["retry-after"] == "8"
    if kind == "invalid":
        assert body["errors"] == [{"row": 3, "message": "x"}]


def test_unexpected_error_is_500_without_internals_but_logged_with_request_id(caplog):
    caplog.set_level(logging.ERROR)
    with TestClient(_app(), raise_server_exceptions=False) as client:
        r = client.get("/boom/crash", headers={"X-Request-ID": "req-123"})
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-123"
    assert "SELECT" not in r.text and "hunter2" not in r.text and "Traceback" not in r.text
    assert r.json()["code"] == "internal_error"
    assert any(getattr(rec, "request_id", None) == "req-123" for rec in caplog.records)


def test_request_id_is_generated_when_missing_or_insane():
    with TestClient(_app()) as client:
        a = client.get("/api/v1/health")
        b = client.get("/api/v1/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert len(a.headers["x-request-id"]) == 32
    assert b.headers["x-request-id"] != "bad id\nwith newline"


def test_unknown_route_and_bad_method_are_problem_json():
    with TestClient(_app()) as client:
        assert client.get("/api/v1/nothing").json()["code"] == "not_found"
        r = client.post("/api/v1/health")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


def test_metrics_count_requests_by_route_template():
    with TestClient(_app()) as client:
        client.get("/api/v1/health")
        text = client.get("/metrics").text
    assert "invoiceflow_http_requests_total" in text
    assert 'status="200"' in text


def test_readiness_reports_each_component_and_503_when_one_is_down():
    services = fake_services()  # no database: that component must report the failure
    app = create_app(Settings(), services=services)
    with TestClient(app) as client:
        r = client.get("/api/v1/ready")
    assert r.status_code == 503
    body = r.json()
    assert body["components"]["storage"]["ok"] and body["components"]["queue"]["ok"]
    assert not body["components"]["database"]["ok"]
    assert "postgres" not in r.text.lower()


def test_openapi_docs_are_served_and_declare_problem_responses():
    with TestClient(_app()) as client:
        assert client.get("/docs").status_code == 200
        schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    assert schema["paths"]["/api/v1/health"]["get"]["description"]


def test_json_log_lines_carry_request_id_and_redact_secrets(capsys):
    from api.observability import JsonFormatter

    record = logging.makeLogRecord({"msg": "x", "levelname": "INFO", "name": "t"})
    record.request_id = "r1"
    record.password = "hunter2"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "r1" and line["password"] == "[redacted]"
