"""E2E fixtures: the API served by uvicorn on loopback, real worker processes, HTTP clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.config import Settings

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def api_settings(test_settings: Settings) -> Settings:
    """The test settings with generous limits (rate limits have their own test)."""
    return test_settings.model_copy(
        update={
            "api_rate_limit": "100000/minute",
            "api_rate_limit_ip": "100000/minute",
            "api_rate_limit_key": "100000/minute",
            "allow_loopback_targets": True,  # the tests' webhook receivers live on loopback
        }
    )


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a worker subprocess on the same database and file store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INVOICEFLOW_", "OPENAI_"))}
    env.update(
        {
            "DATABASE_URL": str(settings.database_url),
            "INVOICEFLOW_ENVIRONMENT": settings.environment.value,
            "INVOICEFLOW_JWT_SECRET": settings.jwt_secret.get_secret_value(),
            "INVOICEFLOW_DATA_DIR": str(settings.data_dir),
            "INVOICEFLOW_EXTRACTION_BACKEND": settings.extraction_backend,
            "INVOICEFLOW_LOG_LEVEL": "WARNING",
            "INVOICEFLOW_ALLOW_LOOPBACK_TARGETS": str(
                bool(settings.allow_loopback_targets)
            ).lower(),
        }
    )
    env.update(extra)
    return env


class WorkerProcess:
    """``python -m core worker`` as a child process (killable, restartable)."""

    def __init__(self, settings: Settings, log_path: Path, **env: str) -> None:
        self.settings, self.log_path, self.env = settings, log_path, env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "core",
                "worker",
                "--heartbeat",
                "1",
                "--stalled-timeout",
                "3",
                "--shutdown-timeout",
                "20",
            ],
            cwd=REPO,
            env=worker_env(self.settings, **self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="session")
def api_server(api_settings: Settings, engine) -> Iterator[str]:
    """The real app (create_app + build_services) served by uvicorn on a loopback port."""
    import uvicorn

    from api.main import create_app
    from core.bootstrap import build_services

    services = build_services(api_settings, engine=engine)
    app = create_app(api_settings, services=services)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    services.close()


@pytest.fixture(scope="package")
def worker(api_settings: Settings, tmp_path_factory) -> Iterator[WorkerProcess]:
    """One real worker process for the API e2e package.

    Package scope, not session: the database is shared by the whole pytest session, and a worker
    left running after these tests would take the jobs that later integration tests queue for
    their own in-process workers.
    """
    w = WorkerProcess(api_settings, tmp_path_factory.mktemp("worker") / "worker.log").start()
    yield w
    w.stop()


@pytest.fixture
def http(api_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server + "/api/v1", timeout=60) as client:
        yield client


def sign_up(http: httpx.Client, email: str | None = None) -> dict[str, str]:
    """Sign up a fresh user through the API, then sign in; returns auth headers.

    Sign-up answers 202 with what to do next and no tokens (it must not tell a new address from
    a registered one), so the client signs in as a second step.
    """
    import uuid

    email = email or f"e2e-{uuid.uuid4().hex[:10]}@example.test"
    credentials = {"email": email, "password": "a long enough password"}
    r = http.post("/auth/sign-up", json=credentials)
    assert r.status_code == 202, r.text
    assert r.json()["state"] == "sign_in", r.text
    r = http.post("/auth/sign-in", json=credentials)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def wait_for_batch(
    http: httpx.Client, headers: dict[str, str], batch_id: str, timeout: float = 180
):
    """Poll batch progress until no invoice is in flight."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = http.get(f"/batches/{batch_id}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        if body["done"]:
            return body
        time.sleep(0.5)
    raise AssertionError(f"batch {batch_id} not done in {timeout}s: {body}")
