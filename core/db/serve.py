"""``python -m core demo serve``: API, console and one worker as child processes.

Signals are forwarded: Ctrl-C or SIGTERM stops every child (SIGTERM, then SIGKILL after a grace
period); if one child dies, the others are stopped too so the user never keeps half a product.
The embedded database is left running (``python -m core db stop`` stops it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from core.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class Component:
    """One child process and the file that must exist before it can run."""

    name: str
    entry: Path
    argv: list[str]
    url: str | None = None


def components(api_port: int, console_port: int) -> list[Component]:
    """The product's processes, in start order."""
    py = sys.executable
    api = ["uvicorn", "api.main:app", "--factory", "--host", "127.0.0.1", "--port", str(api_port)]
    console = ["streamlit", "run", "console/streamlit_app.py", "--server.headless", "true"]
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
            REPO_ROOT / "core" / "jobs" / "cli.py",
            [py, "-m", "core", "worker"],
        ),
    ]


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


def serve(
    settings: Settings,
    *,
    api_port: int = 8000,
    console_port: int = 8501,
    only: list[Component] | None = None,
) -> int:
    """Start every component whose entry file exists; return when one exits or on a signal."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for comp in only if only is not None else components(api_port, console_port):
            if not comp.entry.exists():
                shown = (
                    comp.entry.relative_to(REPO_ROOT) if comp.entry.is_absolute() else comp.entry
                )
                print(f"skipping {comp.name}: {shown} does not exist yet")
                continue
            children[comp.name] = subprocess.Popen(comp.argv, cwd=REPO_ROOT, env=env)  # noqa: S603
            print(
                f"started {comp.name} (pid {children[comp.name].pid})"
                + (f" at {comp.url}" if comp.url else "")
            )
        if not children:
            print("nothing to serve yet")
            return 1
        print("Ctrl-C stops everything")
        while not stopping:
            exited = {n: p.returncode for n, p in children.items() if p.poll() is not None}
            if exited:
                for name, code in exited.items():
                    print(f"{name} exited with code {code}; stopping the others")
                return 1
            time.sleep(0.5)
        return 0
    finally:
        _stop_all(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
