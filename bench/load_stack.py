"""A private InvoiceFlow stack for load and fault benchmarks: its own PostgreSQL, API, workers.

Everything runs on this machine's loopback, under a temporary directory, on free ports, so a
benchmark never touches the shared embedded database of `make run` or of the test suite, and can
restart its own database without disturbing anyone. Shape as in production: one uvicorn process
for the API (the container entrypoint's), N `python -m core worker` processes, JSON logs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """Start with `start()`, stop with `close()`; `restart_database()` measures a DB restart."""

    def __init__(
        self,
        *,
        workers: int = 2,
        rate_limit: str = "1000000/second",
        max_in_flight: int = 32,
        api_workers: int = 1,
        api_replicas: int = 1,
    ) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="invoiceflow-bench-"))
        self.pg_port, self.api_port = free_port(), free_port()
        self.workers = workers
        # 1 = the container's shape (docker/entrypoint.sh); more only to measure what it would buy.
        self.api_workers = api_workers
        # >1: that many one-process API replicas behind Caddy (least_conn), as docker/Caddyfile
        # runs `--scale api=N`; per-request balancing, unlike uvicorn --workers' shared socket.
        self.api_replicas = api_replicas
        self._replica_ports: list[int] = []
        self.rate_limit = rate_limit
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.worker_restarts = 0
        self.db_url = ""
        self.base_env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("INVOICEFLOW_", "SUPABASE_"))
            },
            "INVOICEFLOW_ENVIRONMENT": "production",
            "INVOICEFLOW_DATA_DIR": str(self.tmp / "data"),
            "INVOICEFLOW_EMBEDDED_PG_PORT": str(self.pg_port),
            "INVOICEFLOW_JWT_SECRET": secrets.token_hex(32),
            "INVOICEFLOW_AUTH_BACKEND": "local",
            "INVOICEFLOW_STORAGE_BACKEND": "local",
            "INVOICEFLOW_EXTRACTION_BACKEND": "offline",
            "INVOICEFLOW_LOG_LEVEL": "INFO",
            "INVOICEFLOW_LOG_JSON": "true",
            "INVOICEFLOW_API_MAX_IN_FLIGHT": str(max_in_flight),
        }
        self.base_env.pop("DATABASE_URL", None)
        self.base_env.pop("OPENAI_API_KEY", None)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def _settings(self):  # type: ignore[no-untyped-def]
        from core.config import Settings

        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=self.tmp / "data",
            embedded_pg_port=self.pg_port,
        )

    def start(self) -> None:
        """Database (initdb + migrations), then the API, then the workers."""
        from core.db import embedded
        from core.db.migrate import apply_migrations

        self.db_url = embedded.ensure_running(self._settings())
        self.base_env["DATABASE_URL"] = self.db_url
        apply_migrations(self.db_url)
        self.start_api()
        for i in range(self.workers):
            self._spawn(f"worker-{i}", [sys.executable, "-m", "core", "worker"])

    def respawn_workers(self) -> int:
        """Restart exited workers, as `restart: unless-stopped` does in compose; how many."""
        restarted = 0
        for name, proc in list(self.procs.items()):
            if name.startswith("worker") and proc.poll() is not None:
                self._spawn(name, [sys.executable, "-m", "core", "worker"])
                restarted += 1
        self.worker_restarts += restarted
        return restarted

    def start_api(self, *, rate_limit: str | None = None) -> None:
        """(Re)start the API process(es), optionally with another per-user and per-IP limit."""
        self.stop_api()
        limit = rate_limit or self.rate_limit
        env = {"INVOICEFLOW_API_RATE_LIMIT": limit, "INVOICEFLOW_API_RATE_LIMIT_IP": limit}
        if self.api_replicas > 1:
            ports = self._replica_ports = [free_port() for _ in range(self.api_replicas)]
            for i, port in enumerate(ports):
                self._spawn(f"api-{i}", self._uvicorn_argv(port), env)
            self._spawn("api", self._caddy_argv(ports))
        else:
            argv = self._uvicorn_argv(self.api_port)
            if self.api_workers > 1:
                argv += ["--workers", str(self.api_workers)]
            self._spawn("api", argv, env)
        self.wait_healthy()

    def stop_api(self) -> None:
        """Stop the API process, its replicas and their balancer."""
        for name in [n for n in self.procs if n == "api" or n.startswith("api-")]:
            self.stop_process(name)

    def _uvicorn_argv(self, port: int) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", "api.main:app", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "10",
        ]  # fmt: skip

    def _caddy_argv(self, ports: list[int]) -> list[str]:
        upstreams = " ".join(f"127.0.0.1:{p}" for p in ports)
        config = self.tmp / "Caddyfile"
        config.write_text(
            "{\n\tadmin off\n\tauto_https off\n\tpersist_config off\n}\n"
            f"http://127.0.0.1:{self.api_port} {{\n"
            f"\treverse_proxy {upstreams} {{\n\t\tlb_policy least_conn\n\t}}\n}}\n"
        )
        caddy = shutil.which("caddy", path=str(Path(sys.executable).parent)) or "caddy"
        return [caddy, "run", "--config", str(config), "--adapter", "caddyfile"]

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            argv, cwd=self.tmp, env={**self.base_env, **(env or {})}, stdout=log, stderr=log
        )

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Until /api/v1/health answers 200 on every replica and through the balancer."""
        deadline = time.monotonic() + timeout
        for name in [n for n in self.procs if n.startswith("api-")] + ["api"]:
            url = self._health_url(name)
            while True:
                if self.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log_tail(name)}")
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    tail = self.log_tail(name)
                    raise TimeoutError(f"{name} not healthy after {timeout}s:\n{tail}")
                time.sleep(0.2)

    def _health_url(self, name: str) -> str:
        if name == "api":
            return f"{self.api_url}/api/v1/health"
        port = self._replica_ports[int(name.removeprefix("api-"))]
        return f"http://127.0.0.1:{port}/api/v1/health"

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.tmp / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_database(self) -> None:
        """Fast shutdown of the private PostgreSQL (what a failover or a restart does)."""
        from core.db import embedded

        embedded.stop(self._settings())

    def start_database(self) -> None:
        from core.db import embedded

        embedded.ensure_running(self._settings())

    def stop_process(self, name: str, timeout: float = 30.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """Stop every process and the database, remove the directory."""
        for name in list(self.procs):
            self.stop_process(name)
        try:
            self.stop_database()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
