"""The attack suite's fixtures: the in-process API of the e2e tests, and a live stack.

``api_settings``, ``api_server`` and ``http`` are the e2e API fixtures (uvicorn on loopback over
the session's test database), imported rather than copied. ``live_stack`` is the product as
``make run`` starts it: ``python -m core demo serve`` (the API and a worker under the supervisor)
over its own embedded PostgreSQL, so a test may restart that database, kill the worker or break
the file store without touching anything else.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.e2e.api.conftest import api_server, api_settings, http  # noqa: F401 (fixtures)
from tests.e2e.browser.stack import (
    PY,
    ROOT,
    _wait_http,
    database_stop,
    database_up,
    free_port,
    stack_env,
)

# Fast failure detection on the live stack: a worker silent for 4 s is dead.
LIVE_ENV = {
    "INVOICEFLOW_ENVIRONMENT": "development",
    "INVOICEFLOW_API_RATE_LIMIT": "100000/minute",
    "INVOICEFLOW_API_RATE_LIMIT_IP": "100000/minute",
    "INVOICEFLOW_EXTRACTION_BACKEND": "offline",
    "INVOICEFLOW_WORKER_HEARTBEAT_SECONDS": "1",
    "INVOICEFLOW_WORKER_STALLED_SECONDS": "4",
    "INVOICEFLOW_WORKER_RECONNECT_MAX_SECONDS": "4",
}


@dataclass
class LiveStack:
    """``python -m core demo serve --without console`` over its own embedded database."""

    api: str
    env: dict[str, str]
    data_dir: Path
    log: Path
    serve: subprocess.Popen[bytes]
    _engine: Any = field(default=None, repr=False)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.api + "/api/v1", timeout=120)

    @property
    def settings(self) -> Any:
        from core.config import Settings

        return Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=self.data_dir,
            embedded_pg_port=int(self.env["INVOICEFLOW_EMBEDDED_PG_PORT"]),
        )

    def db_url(self) -> str:
        from core.db import embedded

        return embedded.server_url(self.settings)

    def engine(self) -> Any:
        if self._engine is None:
            from sqlalchemy import create_engine

            from core.db.engine import sqlalchemy_url

            self._engine = create_engine(sqlalchemy_url(self.db_url()), pool_pre_ping=True)
        return self._engine

    def children(self, name: str) -> list[psutil.Process]:
        """The supervisor's live children whose command line mentions ``name``."""
        found = []
        for child in psutil.Process(self.serve.pid).children():
            with contextlib.suppress(psutil.Error):
                if name in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                    found.append(child)
        return found

    def workers(self) -> list[psutil.Process]:
        return self.children("core worker")

    def stop_database(self) -> None:
        from core.db import embedded

        if self._engine is not None:
            self._engine.dispose()
        embedded.stop(self.settings)

    def start_database(self) -> None:
        from core.db import embedded

        embedded.ensure_running(self.settings)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def running_live_stack(workdir: Path, **extra_env: str) -> Iterator[LiveStack]:
    """Database up and migrated, then the supervisor with the API and one worker."""
    data_dir = workdir / "data"
    env = stack_env(data_dir, **{**LIVE_ENV, **extra_env})
    database_up(env)
    port = free_port()
    log = workdir / "serve.log"
    serve = subprocess.Popen(
        [PY, "-m", "core", "demo", "serve", "--without", "console", "--api-port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    stack = LiveStack(f"http://127.0.0.1:{port}", env, data_dir, log, serve)
    try:
        _wait_http(f"{stack.api}/docs", serve, log, timeout=120)
        yield stack
    finally:
        serve.terminate()
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait(10)
        if stack._engine is not None:
            stack._engine.dispose()
        database_stop(env)


@pytest.fixture(scope="module")
def live_stack() -> Iterator[LiveStack]:
    """The product on loopback as ``make run`` starts it (API + worker), own database.

    The data dir is outside pytest's basetemp for the reason given in tests/e2e/browser/conftest.
    """
    workdir = Path(tempfile.mkdtemp(prefix="invoiceflow-security-"))
    try:
        with running_live_stack(workdir) as stack:
            yield stack
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
