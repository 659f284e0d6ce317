"""Readiness of the dependencies a request or a job needs: database, file storage, job queue."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core.db.session import service_session
from core.db.tenant_repo import ping
from core.errors import InvoiceFlowError
from core.workflow.services import Services


@dataclass(frozen=True)
class ComponentStatus:
    """One dependency: up or not, and a short safe detail (no connection strings)."""

    ok: bool
    detail: str


def _probe(check: Callable[[], object]) -> ComponentStatus:
    started = time.perf_counter()
    try:
        check()
    except InvoiceFlowError as exc:
        # Only a detail the raiser marked as public (no paths, URLs or secrets), else the class.
        public = exc.details.get("readiness")
        return ComponentStatus(
            False, f"{type(exc).__name__}: {public}" if public else type(exc).__name__
        )
    except Exception as exc:  # any failure means "not ready"; only the class name is shown
        return ComponentStatus(False, f"{type(exc).__name__}")
    return ComponentStatus(True, f"ok in {(time.perf_counter() - started) * 1000:.1f} ms")


def _database(services: Services) -> None:
    with service_session(services.engine, "health.ready") as s:
        ping(s)


def check_readiness(services: Services) -> dict[str, ComponentStatus]:
    """Probe the database (select 1), the file store (its own probe) and the job tables."""
    return {
        "database": _probe(lambda: _database(services)),
        "storage": _probe(services.storage.ping),
        "queue": _probe(services.jobs.ping),
    }
