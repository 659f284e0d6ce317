"""Issue 11, F2, in real Chromium: a stored SVG/XHTML script never runs from its download URL.

The upload itself is refused (``test_files_xss``); here the file is put into the store directly, as
one stored before the fix would be, and its signed download URL is opened in Chromium. The
script would call a loopback beacon; the URL must come down as a download and the beacon stay
silent.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from core.config import Settings
from core.storage.local_store import LocalFileStore
from core.workflow.transitions import worker_user
from tests.e2e.api.conftest import sign_up
from tests.e2e.browser.conftest import _require_chromium
from tests.e2e.browser.ui import launch

pytestmark = [pytest.mark.security, pytest.mark.browser, pytest.mark.slow]


class _Beacon(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def beacon() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    _Beacon.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Beacon.hits
    server.shutdown()


def _payloads(beacon_url: str) -> dict[str, bytes]:
    script = f"new Image().src='{beacon_url}/ran?'+document.domain;fetch('{beacon_url}/fetch')"
    return {
        "svg": (
            '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
            f"<script>{script}</script></svg>"
        ).encode(),
        "xhtml": (
            '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
            f'<x:script xmlns:x="http://www.w3.org/1999/xhtml">{script}</x:script></Invoice>'
        ).encode(),
    }


@pytest.mark.parametrize("kind", ["svg", "xhtml"])
def test_a_stored_script_file_is_downloaded_never_run(
    kind: str, api_server: str, api_settings: Settings, engine: Any, beacon: Any, tmp_path: Any
) -> None:
    _require_chromium()
    from playwright.sync_api import Error, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    beacon_url, hits = beacon
    data = _payloads(beacon_url)[kind]
    with httpx.Client(base_url=api_server + "/api/v1", timeout=60) as http:
        email = f"xss-{uuid.uuid4().hex[:8]}@example.test"
        headers = sign_up(http, email)
        me = http.get("/auth/me", headers=headers).json()
        cid = http.post("/clients", json={"name": "XSS browser"}, headers=headers).json()["id"]
        refused = http.post(
            f"/clients/{cid}/uploads",
            files=[("files", ("invoice.xml", data, "application/xml"))],
            headers=headers,
        ).json()
    assert refused["files"][0]["status"] == "rejected"

    store = LocalFileStore(engine, api_settings)
    user = worker_user(uuid.UUID(me["id"]), email)
    stored = store.put(uuid.UUID(cid), f"evil.{kind}", data, "application/xml", user)
    url = api_server + store.signed_url(stored.key, user)

    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        try:
            page.goto(api_server + "/docs")  # a page on the product's origin first
            saved = tmp_path / "saved"
            try:
                with page.expect_download(timeout=15_000) as download:
                    try:
                        page.goto(url)
                    except Error as exc:  # Chromium aborts navigations that become downloads
                        assert "Download is starting" in str(exc) or "ERR_ABORTED" in str(exc)
                download.value.save_as(saved)
            except PlaywrightTimeout:
                pass  # rendered instead of downloaded: the asserts below say what that cost
            page.wait_for_timeout(2_000)  # time for a script, had one run
        finally:
            context.close()
            browser.close()
    assert hits == [], f"the stored script ran on the product's origin: {hits}"
    assert saved.exists() and saved.read_bytes() == data, "the file was not a download"
