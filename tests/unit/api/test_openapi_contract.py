"""The OpenAPI contract integrators see: readable unique operationIds, one version string."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from fastapi.testclient import TestClient

from api.main import create_app
from core import version as version_module
from core.config import Settings
from tests.fakes.ports import fake_services

REPO = Path(__file__).resolve().parents[3]
READABLE = re.compile(r"^[a-z]+(_[a-z]+)*$")


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Settings(), services=fake_services()))


def _operation_ids(spec: dict) -> dict[str, str]:
    return {
        f"{method.upper()} {path}": op["operationId"]
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }


def test_operation_ids_are_unique_readable_and_named_after_the_routes(client) -> None:
    ids = _operation_ids(client.get("/openapi.json").json())
    assert len(ids) >= 40
    assert len(set(ids.values())) == len(ids), "duplicate operationIds"
    assert all(READABLE.match(op) for op in ids.values()), ids
    assert ids["GET /api/v1/invoices"] == "invoices_list"
    assert ids["GET /api/v1/invoices/{invoice_id}"] == "invoices_get"
    assert ids["POST /api/v1/invoices/{invoice_id}/approve"] == "invoices_approve"
    assert ids["POST /api/v1/clients/{client_id}/uploads"] == "uploads_upload_invoices"
    assert ids["GET /api/v1/invoices/{invoice_id}/einvoice"] == "exports_einvoice"
    assert ids["GET /api/v1/health"] == "health"


def test_one_version_string_everywhere_and_it_is_the_packages(client) -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert version_module.version() == declared
    assert client.get("/openapi.json").json()["info"]["version"] == declared
    assert client.app.version == declared
    assert client.get("/api/v1/health").json() == {"status": "ok", "version": declared}


def test_version_falls_back_to_pyproject_then_to_unknown(monkeypatch, tmp_path) -> None:
    def not_installed(name: str) -> str:
        raise version_module.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(version_module.metadata, "version", not_installed)
    version_module.version.cache_clear()
    try:
        project = tmp_path / "pyproject.toml"
        project.write_text('[project]\nname = "x"\nversion = "9.8.7"\n')
        assert version_module.pyproject_version(project) == "9.8.7"
        assert version_module.pyproject_version(tmp_path / "missing.toml") == "0.0.0+unknown"
        project.write_text("not toml [")
        assert version_module.pyproject_version(project) == "0.0.0+unknown"
        monkeypatch.setattr(version_module, "PYPROJECT", tmp_path / "missing.toml")
        assert version_module.version() == "0.0.0+unknown"
    finally:
        version_module.version.cache_clear()


def test_docs_pages_point_at_local_assets_only(client) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
        assert urls and all(u.startswith("/") for u in urls), urls
        assert "img-src 'self'" in page.headers["content-security-policy"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        r = client.get(f"/docs/assets/{asset}")
        assert r.status_code == 200 and len(r.content) > 100_000
