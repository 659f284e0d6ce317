"""Issue 11, F10: no token or signed-URL query string in any log of a server run like ``make api``.

The command is the one ``make -n api`` prints (only the port is changed), so the test follows the
Makefile; the server's whole output (uvicorn's and the app's logs) is searched afterwards.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from core.config import Settings
from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import REPO, free_port, sign_up, worker_env

pytestmark = [pytest.mark.security, pytest.mark.slow]


def _make_api_command(port: int) -> list[str]:
    dry = subprocess.run(
        ["make", "-n", "api"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    (line,) = [x for x in dry.stdout.splitlines() if "uvicorn api.main:app" in x]
    return shlex.split(re.sub(r"--port \d+", f"--port {port}", line))


def test_signed_url_tokens_never_reach_the_logs_of_make_api(
    api_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "api.log"
    env = worker_env(api_settings, INVOICEFLOW_LOG_LEVEL="INFO")
    env.update(
        INVOICEFLOW_API_RATE_LIMIT="100000/minute", INVOICEFLOW_API_RATE_LIMIT_IP="100000/minute"
    )
    server = subprocess.Popen(
        _make_api_command(port), cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/docs", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        with httpx.Client(base_url=base + "/api/v1", timeout=60) as http:
            headers = sign_up(http)
            access = headers["Authorization"].removeprefix("Bearer ")
            cid = http.post("/clients", json={"name": "Logs"}, headers=headers).json()["id"]
            doc = generate_invoice(9500, kind="pdf")
            up = http.post(
                f"/clients/{cid}/uploads",
                files=[("files", (doc.filename, doc.data, "application/pdf"))],
                headers=headers,
            ).json()
            invoice_id = up["files"][0]["invoice_id"]
            url = http.get(f"/invoices/{invoice_id}/file-url", headers=headers).json()["url"]
            assert httpx.get(base + url).status_code == 200
            assert httpx.get(base + url + "x").status_code == 401  # a refused token, logged too
            http.get(f"/invoices?access_token={access}", headers=headers)
    finally:
        server.terminate()
        server.wait(30)
    output = log.read_text(errors="replace")
    token = url.split("token=", 1)[1]
    object_name = url.split("?", 1)[0].rsplit("/", 1)[1]
    assert "GET /storage/v1/object/sign/{bucket}/{key:path} 200" in output  # the app logged it
    for secret in (token[:40], token[-40:], object_name, access[-40:]):
        assert secret not in output
