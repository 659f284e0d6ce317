"""The job queue: procrastinate on the product's own Postgres (no extra server).

Any number of worker processes on any number of machines fetch from the same tables, so adding
workers scales out. Every job is queued by ONE door, ``public.enqueue_invoice_processing``
(``JobQueue.enqueue_invoice``), inside the caller's transaction; the door defers through
procrastinate's own ``procrastinate_defer_jobs_v1``. Fairness between clients (the door's one
rule): a client's new job gets a priority below the invoices it already has waiting, so one
client's 1,000-file batch interleaves with another client's single upload instead of starving
it. The queueing lock keeps at most one waiting job per invoice and the lock stops two workers
processing the same invoice at once.
"""

from __future__ import annotations

import logging
from uuid import UUID

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import invoice_repo, job_repo
from core.db.session import service_session, user_session
from core.errors import Forbidden
from core.workflow.transitions import apply_change, worker_user

log = logging.getLogger(__name__)
QUEUE = job_repo.QUEUE
PROCESS_TASK = job_repo.PROCESS_TASK


def make_queue(database_url: str, engine: Engine) -> JobQueue:
    """The job queue for ``build_services``."""
    return JobQueue(engine, database_url)


class JobQueue:
    """The ``core.workflow.ports.JobQueue`` on procrastinate: queues through the one SQL door
    and reads the job tables for /metrics, readiness and batch progress (service sessions)."""

    def __init__(self, engine: Engine, database_url: str) -> None:
        self.engine = engine
        self.database_url = database_url

    def close(self) -> None:
        """Nothing to release: every query runs on the engine's pool."""

    def enqueue_invoice(self, s: Session, invoice_id: UUID) -> bool:
        """Queue one invoice inside the caller's transaction (``s``, a user session of an owner
        or operator of its client); False when a job for it is already waiting."""
        return job_repo.enqueue_invoice(s, invoice_id) is not None

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
        """Queue invoices left waiting without a job (a crashed worker, a job lost by hand).

        Each is queued through the one door, as its uploader (``created_by``, recorded at upload
        and immutable), so the job acts with the uploader's rights, and only while the uploader
        may still write the client. One left in ``extracting`` is released to ``received``
        first (audited ``status.released``): the door queues only waiting invoices.
        """
        with service_session(self.engine, "jobs.requeue_orphans") as s:
            rows = job_repo.orphaned_invoices(s, older_than_seconds=older_than_seconds, limit=limit)
        skipped = [str(r["id"]) for r in rows if not (r["created_by"] and r["uploader_may_write"])]
        if skipped:
            # Their uploader left the client (or was deleted): a writer can retry them.
            log.warning(
                "orphaned invoices not requeued: their uploader may no longer write the client",
                extra={"invoice_ids": skipped[:20], "count": len(skipped)},
            )
        queued = 0
        for row in rows:
            if row["created_by"] and row["uploader_may_write"]:
                queued += self._requeue_as_uploader(row["id"], row["created_by"])
        return queued

    def _requeue_as_uploader(self, invoice_id: UUID, uploader: UUID) -> int:
        try:
            with user_session(self.engine, worker_user(uploader).claims) as s:
                invoice = invoice_repo.get_invoice(s, invoice_id, for_update=True)
                if invoice is None or invoice.status not in ("received", "extracting"):
                    return 0  # processed, deleted or failed meanwhile
                if invoice.status == "extracting":
                    apply_change(s, invoice, action="status.released", meta={"by": "requeue"})
                return int(self.enqueue_invoice(s, invoice_id))
        except Forbidden:  # the uploader lost the right between the two queries
            log.warning("orphan not requeued", extra={"invoice_id": str(invoice_id)})
            return 0
