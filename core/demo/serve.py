"""``invoiceflow serve`` (``python -m core demo serve``): API, console and one worker as child
processes.

Signals are forwarded: Ctrl-C or SIGTERM stops every child (SIGTERM, then SIGKILL after a grace
period). A child that dies (a crash, an out-of-memory kill, a worker that lost its database) is
started again after a backoff that doubles while it keeps dying young (1 s up to 30 s) and starts
afresh once it has stayed up; the others keep running, so a database restart never leaves half a
product or none. The embedded database is left running (``python -m core db stop`` stops it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from core.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
GRACE_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
# A child that stayed up this long was healthy: its next restart waits the first backoff again.
STABLE_SECONDS = 60.0
READY_TIMEOUT_SECONDS = 90.0  # the start-up block is printed by then, ready or not


@dataclass(frozen=True)
class Component:
    """One child process and the file that must exist before it can run."""

    name: str
    entry: Path
    argv: list[str]
    url: str | None = None


def components(api_port: int, console_port: int, upload_limit_mb: int = 25) -> list[Component]:
    """The product's processes, in start order."""
    py = sys.executable
    # No uvicorn access log: the app writes its own (route templates, never query strings or
    # signed-URL tokens).
    api = [
        "uvicorn",
        "api.main:app",
        "--factory",
        "--no-access-log",
        "--host",
        "127.0.0.1",
        "--port",
        str(api_port),
    ]
    console = [
        "streamlit",
        "run",
        "console/streamlit_app.py",
        "--server.headless",
        "true",
        # the upload box says the real limit; operators see no developer toolbar or Deploy
        "--server.maxUploadSize",
        str(upload_limit_mb),
        "--client.toolbarMode",
        "minimal",
    ]
    console_net = ["--server.port", str(console_port), "--server.address", "127.0.0.1"]
    return [
        Component(
            "api",
            REPO_ROOT / "api" / "main.py",
            [py, "-m", *api],
            f"http://127.0.0.1:{api_port}/docs",
        ),
        Component(
            "console",
            REPO_ROOT / "console" / "streamlit_app.py",
            [py, "-m", *console, *console_net],
            f"http://127.0.0.1:{console_port}",
        ),
        Component(
            "worker",
            REPO_ROOT / "core" / "cli" / "worker.py",
            [py, "-m", "core", "worker"],
        ),
    ]


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except OSError:
        return False


def probes(children: dict[str, _Child]) -> dict[str, str]:
    """What must answer before the product is ready: the console page and the API's health."""
    out = {}
    for child in children.values():
        url = child.comp.url
        if url:
            out[child.comp.name] = (
                url.removesuffix("/docs") + "/api/v1/health" if child.comp.name == "api" else url
            )
    return out


def ready_block(settings: Settings, children: dict[str, _Child], pending: Iterable[str]) -> str:
    """The one short block that ends the start-up: where to go and how to sign in."""
    import json

    urls = {c.comp.name: c.comp.url for c in children.values() if c.comp.url}
    waiting = ", ".join(pending)
    lines = ["", "InvoiceFlow is running" + (f" (still starting: {waiting})" if waiting else "")]
    if "console" in urls:
        lines.append(f"  Console   {urls['console']}")
    if "api" in urls:
        lines.append(f"  API docs  {urls['api']}")
    saved = settings.data_dir / "demo_credentials.json"
    try:
        demo = json.loads(saved.read_text())
        lines.append(f"  Sign in   {demo['email']} / {demo['password']}")
    except (OSError, ValueError, KeyError, TypeError):
        lines.append("  Sign in   with your account (`make run` seeds a demo workspace)")
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


def _stop_all(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in children.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class _Child:
    """A running component and its restart bookkeeping."""

    comp: Component
    proc: subprocess.Popen[bytes]
    started: float
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None


def _start(comp: Component, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(comp.argv, cwd=REPO_ROOT, env=env)  # noqa: S603


def _supervise(child: _Child, env: dict[str, str], now: float) -> None:
    """Restart ``child`` once it died and its backoff has passed."""
    if child.restart_at is None:
        code = child.proc.poll()
        if code is None:
            return
        if now - child.started >= STABLE_SECONDS:
            child.backoff = FIRST_BACKOFF_SECONDS
        child.restart_at = now + child.backoff
        print(
            f"{child.comp.name} exited with code {code}; restarting it in {child.backoff:.0f} s",
            flush=True,
        )
        child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)
        return
    if now >= child.restart_at:
        child.proc, child.started, child.restart_at = _start(child.comp, env), now, None
        print(f"restarted {child.comp.name} (pid {child.proc.pid})", flush=True)


def serve(
    settings: Settings,
    *,
    api_port: int = 8000,
    console_port: int = 8501,
    only: list[Component] | None = None,
    without: tuple[str, ...] = (),
) -> int:
    """Start every component whose entry file exists and keep them up until a signal."""
    env = dict(os.environ)
    children: dict[str, _Child] = {}
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        limit_mb = max(1, -(-settings.max_upload_bytes // (1024 * 1024)))
        for comp in only if only is not None else components(api_port, console_port, limit_mb):
            if comp.name in without:
                continue
            if not comp.entry.exists():
                shown = (
                    comp.entry.relative_to(REPO_ROOT) if comp.entry.is_absolute() else comp.entry
                )
                print(f"skipping {comp.name}: {shown} does not exist yet")
                continue
            children[comp.name] = _Child(comp, _start(comp, env), time.monotonic())
            print(
                f"started {comp.name} (pid {children[comp.name].proc.pid})"
                + (f" at {comp.url}" if comp.url else ""),
                flush=True,
            )
        if not children:
            print("nothing to serve yet")
            return 1
        pending = probes(children)
        announce_by = time.monotonic() + READY_TIMEOUT_SECONDS
        announced = not pending
        if announced:
            print(ready_block(settings, children, ()), flush=True)
        next_probe = 0.0
        while not stopping:
            now = time.monotonic()
            if not announced and now >= next_probe:
                pending = {n: u for n, u in pending.items() if not _answers(u)}
                next_probe = now + 1.0
                if not pending or now >= announce_by:
                    print(ready_block(settings, children, pending), flush=True)
                    announced = True
            for child in children.values():
                _supervise(child, env, now)
            time.sleep(0.2)
        return 0
    finally:
        _stop_all({name: child.proc for name, child in children.items()})
        for sig, handler in previous.items():
            signal.signal(sig, handler)
