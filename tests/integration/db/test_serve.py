"""`demo serve` supervises children: a signal stops them all; one dying stops the others."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[3]
SUPERVISOR = """
import sys
from pathlib import Path
from core.config import Settings
from core.db.serve import Component, serve
sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
quitter = [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"]
entry = Path("core/db/serve.py").resolve()
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
        env={**os.environ, "PYTHONPATH": str(REPO)},
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


def test_one_child_exiting_stops_the_others():
    proc = _start("quit")
    kids = _children(proc.pid)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "b exited with code 3" in out
    _, alive = psutil.wait_procs(kids, timeout=5)
    assert alive == []
