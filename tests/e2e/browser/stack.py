"""Start the product the way ``make run`` does, on free ports, for the browser test and bench.

An isolated data dir (its own embedded PostgreSQL on a free port), ``python -m core db up
--seed-demo``, then the console (``streamlit run``) and one worker as subprocesses. Everything is
stopped again on exit, including the embedded server.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PY = sys.executable
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    """A running console + worker over its own embedded database."""

    url: str
    email: str
    password: str
    env: dict[str, str]
    data_dir: Path
    logs: Path


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} process exited early:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s:\n{log.read_text()[-3000:]}")


def _credentials(data_dir: Path) -> tuple[str, str]:
    """The demo sign-in the seed stored (mode 0600) next to the embedded database."""
    import json

    saved = json.loads((data_dir / "demo_credentials.json").read_text())
    return saved["email"], saved["password"]


def stack_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a stack over its own embedded database under ``data_dir``."""
    env = {
        **os.environ,
        "INVOICEFLOW_DATA_DIR": str(data_dir),
        "INVOICEFLOW_EMBEDDED_PG_PORT": str(free_port()),
        "INVOICEFLOW_LOG_JSON": "false",
        **extra,
    }
    env.pop("DATABASE_URL", None)
    return env


def database_up(env: dict[str, str], *, seed_demo: bool = False) -> None:
    """``python -m core db up [--seed-demo]``: start the stack's database and migrate it."""
    up = subprocess.run(
        [PY, "-m", "core", "db", "up", *(["--seed-demo"] if seed_demo else [])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if up.returncode != 0:
        raise RuntimeError(f"db up failed:\n{up.stdout}\n{up.stderr}")


def database_stop(env: dict[str, str]) -> None:
    """``python -m core db stop`` for the stack's embedded database."""
    subprocess.run(
        [PY, "-m", "core", "db", "stop"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


@contextlib.contextmanager
def running_stack(workdir: Path, *, workers: int = 1) -> Iterator[Stack]:
    """Bring up database, demo seed, console and workers; tear everything down afterwards."""
    data_dir = workdir / "data"
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = stack_env(data_dir)
    database_up(env, seed_demo=True)
    email, password = _credentials(data_dir)
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        console_log = logs / "console.log"
        procs.append(
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "streamlit",
                    "run",
                    "console/streamlit_app.py",
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",
                    "--server.headless",
                    "true",
                    "--server.fileWatcherType",
                    "none",
                    "--browser.gatherUsageStats",
                    "false",
                ],
                cwd=ROOT,
                env=env,
                stdout=console_log.open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        for n in range(workers):
            procs.append(
                subprocess.Popen(
                    [PY, "-m", "core", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=(logs / f"worker{n}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/_stcore/health", procs[0], console_log)
        yield Stack(url=url, email=email, password=password, env=env, data_dir=data_dir, logs=logs)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        database_stop(env)


def wait_until_idle(stack: Stack, timeout: float = 300) -> int:
    """Wait until no invoice of the demo user is in flight; return how many invoices exist."""
    from core.bootstrap import build_services
    from core.config import Settings
    from core.workflow import invoices
    from core.workflow.states import IN_FLIGHT

    settings = Settings(
        data_dir=stack.data_dir, embedded_pg_port=int(stack.env["INVOICEFLOW_EMBEDDED_PG_PORT"])
    )
    services = build_services(settings)
    try:
        user = services.auth.sign_in(stack.email, stack.password).user
        deadline = time.monotonic() + timeout
        while True:
            _, busy = invoices.list_invoices(
                services=services,
                user=user,
                filters=invoices.InvoiceFilter(status=tuple(IN_FLIGHT)),
                limit=1,
            )
            if not busy:
                return int(
                    invoices.list_invoices(
                        services=services, user=user, filters=invoices.InvoiceFilter(), limit=1
                    )[1]
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"{busy} invoices still processing after {timeout:.0f}s")
            time.sleep(0.5)
    finally:
        services.close()
