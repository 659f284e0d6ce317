"""F14: the processes a developer starts bind loopback; containers bind every interface."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from core.demo.serve import components

REPO = Path(__file__).resolve().parents[2]


def _make_dry_run(target: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("API_HOST", "CONSOLE_HOST")}
    environ.update(env)
    # -n prints the recipe without running it; -o skips the (slow) install prerequisite.
    result = subprocess.run(
        ["make", "-n", "-o", "install", target],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


@pytest.mark.security
def test_make_api_binds_loopback_by_default() -> None:
    recipe = _make_dry_run("api")
    assert re.search(r"--host 127\.0\.0\.1\b", recipe), recipe
    assert "0.0.0.0" not in recipe


def test_make_api_binds_all_interfaces_only_when_told() -> None:
    assert "--host 0.0.0.0" in _make_dry_run("api", API_HOST="0.0.0.0")


@pytest.mark.security
def test_make_console_binds_loopback_by_default() -> None:
    recipe = _make_dry_run("console")
    assert "--server.address 127.0.0.1" in recipe, recipe


def test_make_run_serves_every_component_on_loopback() -> None:
    api, console, _worker = components(8000, 8501)
    assert api.argv[api.argv.index("--host") + 1] == "127.0.0.1"
    assert console.argv[console.argv.index("--server.address") + 1] == "127.0.0.1"


def test_containers_bind_all_interfaces_explicitly() -> None:
    entrypoint = (REPO / "docker" / "entrypoint.sh").read_text(encoding="utf-8")
    assert "--host 0.0.0.0" in entrypoint
    assert "--server.address 0.0.0.0" in entrypoint
