#!/usr/bin/env python3
"""Container HEALTHCHECK that picks its probe by role.

The role is the entrypoint's first argument (``api``, ``console``, ``worker``, ``migrate``...),
read from PID 1's command line (``tini -- /app/docker/entrypoint.sh <role>``) unless
``INVOICEFLOW_ROLE`` names it. api: GET /api/v1/health; console: GET /_stcore/health; worker: the
worker process is alive; one-shot roles are always healthy. Exit 0 healthy, 1 unhealthy.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROLES = ("api", "console", "worker", "migrate", "seed-demo")
TIMEOUT_SECONDS = 4.0


def role_from_cmdline(cmdline: list[str]) -> str:
    """The first known role on a command line, ``api`` when none (the image's default CMD)."""
    for index, arg in enumerate(cmdline):
        if arg.endswith("entrypoint.sh"):
            following = cmdline[index + 1 : index + 2]
            return following[0] if following else "api"
    return next((arg for arg in cmdline if arg in ROLES), "api")


def _read_cmdline(pid: str) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return False


def _worker_alive() -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            cmd = _read_cmdline(entry.name)
            if "core" in cmd and "worker" in cmd and any("python" in c for c in cmd[:1]):
                return True
    print("unhealthy: no `python -m core worker` process", file=sys.stderr)
    return False


def main() -> int:
    """Probe the role this container runs."""
    role = os.environ.get("INVOICEFLOW_ROLE") or role_from_cmdline(_read_cmdline("1"))
    if role == "api":
        port = os.environ.get("INVOICEFLOW_API_PORT", "8000")
        return 0 if _http_ok(f"http://127.0.0.1:{port}/api/v1/health") else 1
    if role == "console":
        port = os.environ.get("INVOICEFLOW_CONSOLE_PORT", "8501")
        return 0 if _http_ok(f"http://127.0.0.1:{port}/_stcore/health") else 1
    if role == "worker":
        return 0 if _worker_alive() else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
