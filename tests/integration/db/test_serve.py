"""`demo serve` supervises children: a signal stops them all; one dying is started again alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[3]
SUPERVISOR = """
import sys
from pathlib import Path
from core.config import Settings
from core.demo.serve import Component, serve
sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
quitter = [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"]
entry = Path("core/demo/serve.py").resolve()
mode = sys.argv[1]
second = sleeper if mode == "signal" else quitter
comps = [Component("a", entry, sleeper), Component("b", entry, second),
         Component("missing", Path("does/not/exist.py"), sleeper)]
sys.exit(serve(Settings(), only=comps))
"""


def _start(mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )


def _children(pid: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        kids = psutil.Process(pid).children()
        if len(kids) >= 2:
            return kids
        time.sleep(0.1)
    raise AssertionError("children did not start")


def test_sigterm_stops_every_child(tmp_path):
    proc = _start("signal")
    kids = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "skipping missing" in out
    _, alive = psutil.wait_procs(kids, timeout=5)
    assert alive == []


@pytest.mark.security
def test_a_dead_child_is_restarted_with_backoff_and_the_others_keep_running():
    """Issue 11, F8: a worker that dies (lost database, OOM) must not stop the whole product."""
    proc = _start("quit")
    kids = {k.pid: k for k in _children(proc.pid)}
    deadline = time.monotonic() + 30
    restarts: set[int] = set()
    while time.monotonic() < deadline and len(restarts) < 2:
        restarts |= {k.pid for k in psutil.Process(proc.pid).children()} - set(kids)
        time.sleep(0.1)
    alive = [k for k in kids.values() if k.is_running()]
    assert proc.poll() is None, "the supervisor stopped after a child died"
    assert len(restarts) >= 2, "the dying child was not started again"
    assert len(alive) == 1  # child "a" kept running all along, same process
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "b exited with code 3; restarting it in 1 s" in out
    assert "b exited with code 3; restarting it in 2 s" in out  # the backoff doubles
    assert "restarted b" in out
    assert psutil.wait_procs(alive, timeout=5)[1] == []
