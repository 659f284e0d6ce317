"""/docs (Swagger UI) and /redoc render in a real Chromium with every other host blocked.

The API is reached under a public-looking name mapped to loopback (Swagger UI, for one, behaves
differently for ``localhost``); every request to any other host is aborted and recorded, and the
tests require that none was even attempted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser.conftest import _require_chromium
from tests.e2e.browser.stack import CHROMIUM, CHROMIUM_ARGS, free_port
from tests.e2e.browser.ui import shot
from tests.fakes.ports import fake_services

pytestmark = pytest.mark.browser
HOST = "docs.invoiceflow.test"  # resolved to 127.0.0.1 inside Chromium only


@pytest.fixture(scope="module")
def api_url(test_settings) -> Iterator[str]:
    """The API app on loopback; the documentation pages need no database work."""
    import uvicorn

    from api.main import create_app

    _require_chromium()
    app = create_app(test_settings, services=fake_services(test_settings))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://{HOST}:{server.config.port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def offline_page(api_url: str) -> Iterator[tuple[Any, list[str]]]:
    """A page whose requests to anything but the API's host are aborted (and recorded)."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname == HOST:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_loopback)
        page = context.new_page()
        try:
            yield page, blocked
        finally:
            context.close()
            browser.close()


def test_swagger_ui_renders_every_operation_offline(api_url, offline_page) -> None:
    page, blocked = offline_page
    page.goto(f"{api_url}/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=30_000)
    assert "InvoiceFlow API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for(timeout=30_000)
    assert page.locator(".opblock").count() >= 40
    assert page.get_by_text("/api/v1/invoices/{invoice_id}/einvoice").count() >= 1
    shot(page, "api-docs-swagger-offline")
    assert blocked == []


def test_redoc_renders_the_operations_offline(api_url, offline_page) -> None:
    page, blocked = offline_page
    page.goto(f"{api_url}/redoc")
    page.locator("h1", has_text="InvoiceFlow API").wait_for(timeout=30_000)
    page.get_by_role("heading", name="Liveness").first.wait_for(timeout=30_000)
    assert page.locator("[data-section-id^='operation/']").count() >= 40
    shot(page, "api-docs-redoc-offline")
    assert blocked == []
