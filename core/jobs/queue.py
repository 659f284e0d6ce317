"""The job queue: procrastinate on the product's own Postgres (no extra server).

Any number of worker processes on any number of machines fetch from the same tables, so adding
workers scales out. Fairness between clients: a client's new jobs get a priority below the jobs
it already has waiting (``-pending``), so one client's 1,000-file batch interleaves with another
client's single upload instead of starving it. ``queueing_lock`` keeps at most one waiting job per
invoice and ``lock`` stops two workers processing the same invoice at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import procrastinate
from procrastinate import exceptions as pexc
from procrastinate.tasks import configure_task
from sqlalchemy import Engine

from core.db import job_repo
from core.db.migrate import psycopg_url
from core.db.session import service_session

log = logging.getLogger(__name__)
QUEUE = "invoices"
PROCESS_TASK = job_repo.PROCESS_TASK


@dataclass(frozen=True)
class InvoiceJob:
    """What a worker needs to process one invoice as the user who uploaded it."""

    invoice_id: UUID
    client_id: UUID
    user_id: UUID
    batch_id: UUID | None = None
    priority: int | None = None  # set by the caller when it already knows the client's backlog

    def kwargs(self) -> dict[str, Any]:
        return {
            "invoice_id": str(self.invoice_id),
            "client_id": str(self.client_id),
            "user_id": str(self.user_id),
            "batch_id": str(self.batch_id) if self.batch_id else None,
        }


def make_queue(database_url: str, engine: Engine) -> JobQueue:
    """The job queue for ``build_services``."""
    return JobQueue(make_app(database_url), engine, database_url)


def make_app(database_url: str) -> procrastinate.App:
    """A procrastinate app on ``database_url`` with InvoiceFlow's tasks registered."""
    from core.jobs.tasks import blueprint

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=psycopg_url(database_url)),
        import_paths=["core.jobs.tasks"],
    )
    app.add_tasks_from(blueprint, namespace="")
    return app


class JobQueue:
    """Enqueue invoice processing; the API and console use this, workers consume it."""

    def __init__(self, app: procrastinate.App, engine: Engine, database_url: str) -> None:
        self.app = app
        self.engine = engine
        self.database_url = database_url
        self._opened = False
        self._lock = threading.Lock()

    def _ensure_open(self) -> None:
        # Workers open the app asynchronously themselves; elsewhere keep one sync pool open.
        with self._lock:
            if not self._opened and not _async_open(self.app):
                self.app.open()
                self._opened = True

    def close(self) -> None:
        """Close the sync pool opened for deferring (idempotent)."""
        with self._lock:
            if self._opened:
                self.app.close()
                self._opened = False

    def enqueue(self, jobs: Sequence[InvoiceJob]) -> int:
        """Defer one job per invoice (already-queued invoices are skipped); returns how many."""
        if not jobs:
            return 0
        pending: dict[UUID, int] = {}
        unknown = {j.client_id for j in jobs if j.priority is None}
        if unknown:
            with service_session(self.engine, "jobs.fairness") as s:
                for client_id in unknown:
                    pending[client_id] = job_repo.pending_jobs_for_client(s, client_id)
        deferred = 0
        self._ensure_open()
        for job in jobs:
            if job.priority is None:
                pending[job.client_id] += 1
            priority = job.priority if job.priority is not None else -pending[job.client_id]
            lock = f"invoice:{job.invoice_id}"
            try:
                # Not app.configure_task: blueprint tasks are rebound to the newest App (a
                # worker's), so defer through this queue's own job manager explicitly.
                configure_task(
                    name=PROCESS_TASK,
                    job_manager=self.app.job_manager,
                    queue=QUEUE,
                    priority=priority,
                    lock=lock,
                    queueing_lock=lock,
                ).defer(**job.kwargs())
                deferred += 1
            except pexc.AlreadyEnqueued:
                log.info("invoice already queued", extra={"invoice_id": str(job.invoice_id)})
        return deferred

    def worker_app(self) -> procrastinate.App:
        """A separate app for a worker: its async pool must not close this queue's sync pool."""
        return make_app(self.database_url)

    def ping(self) -> None:
        """Raise unless the job tables answer."""
        with service_session(self.engine, "jobs.ping") as s:
            job_repo.pending_jobs_for_client(s, UUID(int=0))

    def overview(self) -> tuple[dict[str, int], float]:
        """Jobs per status and the age in seconds of the oldest due job (for /metrics)."""
        with service_session(self.engine, "jobs.overview") as s:
            return job_repo.queue_overview(s)

    def batch_jobs(self, batch_id: UUID) -> dict[str, int]:
        """Job status counts of one batch (bookkeeping view for progress)."""
        with service_session(self.engine, "jobs.progress") as s:
            return job_repo.job_counts_for_batch(s, batch_id)

    def requeue_orphans(self, *, older_than_seconds: int = 60, limit: int = 500) -> int:
        """Defer jobs for invoices left waiting without one (lost defer, crashed worker)."""
        with service_session(self.engine, "jobs.requeue_orphans") as s:
            rows = job_repo.orphaned_invoices(s, older_than_seconds=older_than_seconds, limit=limit)
        jobs = [
            InvoiceJob(r["id"], r["client_id"], r["created_by"])
            for r in rows
            if r["created_by"] and r["uploader_may_write"]
        ]
        skipped = [str(r["id"]) for r in rows if not (r["created_by"] and r["uploader_may_write"])]
        if skipped:
            # Their uploader left the client (or was deleted): a writer can retry them.
            log.warning(
                "orphaned invoices not requeued: their uploader may no longer write the client",
                extra={"invoice_ids": skipped[:20], "count": len(skipped)},
            )
        return self.enqueue(jobs)


def _async_open(app: procrastinate.App) -> bool:
    return getattr(app.connector, "_async_pool", None) is not None
