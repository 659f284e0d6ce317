"""Readiness of the dependencies a request or a job needs: database, file storage, job queue."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ComponentStatus:
    """One dependency: up or not, and a short safe detail (no connection strings)."""

    ok: bool
    detail: str


def _probe(check: Callable[[], object]) -> ComponentStatus:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure means "not ready"; only the class name is shown
        return ComponentStatus(False, f"{type(exc).__name__}")
    return ComponentStatus(True, f"ok in {(time.perf_counter() - started) * 1000:.1f} ms")


def check_readiness(services: Any) -> dict[str, ComponentStatus]:
    """Probe each dependency the container offers through its ``ping``-style method."""
    out: dict[str, ComponentStatus] = {}
    for name in ("database", "storage", "queue"):
        probe = getattr(services, f"ping_{name}", None)
        out[name] = _probe(probe) if callable(probe) else ComponentStatus(False, "not configured")
    return out
