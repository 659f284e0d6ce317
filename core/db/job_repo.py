"""SQL over procrastinate's job table for queue bookkeeping (service sessions only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

PROCESS_TASK = "invoiceflow.process_invoice"
QUEUE = "invoices"


def enqueue_invoice(s: Session, invoice_id: UUID) -> int | None:
    """Queue ``invoice_id`` as the session's user through ``public.enqueue_invoice_processing``
    (the one enqueue path: our definer door, which defers through procrastinate's own
    ``procrastinate_defer_jobs_v1``); the job id, or None when one is already waiting."""
    value = s.execute(
        text("select public.enqueue_invoice_processing(:i)"), {"i": invoice_id}
    ).scalar()
    return None if value is None else int(value)


def pending_jobs_for_client(s: Session, client_id: UUID) -> int:
    """Jobs of this client waiting or running (used to give its next jobs a lower priority)."""
    return int(
        s.execute(
            text(
                "select count(*) from public.procrastinate_jobs where task_name = :t"
                " and status in ('todo', 'doing') and args->>'client_id' = :c"
            ),
            {"t": PROCESS_TASK, "c": str(client_id)},
        ).scalar_one()
    )


def started_attempts(s: Session, invoice_id: UUID) -> int:
    """How many times processing of this invoice was started, over all its jobs.

    procrastinate writes a ``started`` event in the same statement that hands a job to a worker,
    so an attempt counts from the moment it starts, even if its worker is killed right after
    (out of memory, ``kill -9``) and never reports a result.
    """
    return int(
        s.execute(
            text(
                "select count(*) from public.procrastinate_events e"
                " join public.procrastinate_jobs j on j.id = e.job_id"
                " where j.task_name = :t and j.args->>'invoice_id' = :i and e.type = 'started'"
            ),
            {"t": PROCESS_TASK, "i": str(invoice_id)},
        ).scalar_one()
    )


def orphaned_invoices(s: Session, *, older_than_seconds: int, limit: int) -> list[dict[str, Any]]:
    """Invoices waiting for processing with no live job (a defer lost after commit, a crash).

    ``created_by`` is the uploader recorded at upload (forced to the caller by a trigger and
    immutable); ``uploader_may_write`` says whether they are still an owner or operator of the
    client (a worker acting for someone who left would act with rights they no longer have).
    """
    rows = s.execute(
        text(
            "select i.id, i.client_id, i.created_by, exists (select 1 from public.client_members m"
            "   where m.client_id = i.client_id and m.user_id = i.created_by"
            "   and m.role in ('owner', 'operator')) as uploader_may_write"
            " from public.invoices i"
            " where i.status in ('received', 'extracting')"
            " and i.updated_at < now() - make_interval(secs => :age)"
            " and not exists (select 1 from public.procrastinate_jobs j"
            "   where j.task_name = :t and j.status in ('todo', 'doing')"
            "   and j.args->>'invoice_id' = i.id::text)"
            " order by i.updated_at limit :lim"
        ),
        {"age": older_than_seconds, "t": PROCESS_TASK, "lim": limit},
    )
    return [dict(r) for r in rows.mappings().all()]


def job_counts_for_batch(s: Session, batch_id: UUID) -> dict[str, int]:
    """Job statuses of one batch (todo, doing, succeeded, failed...)."""
    rows = s.execute(
        text(
            "select status::text, count(*) from public.procrastinate_jobs"
            " where task_name = :t and args->>'batch_id' = :b group by status"
        ),
        {"t": PROCESS_TASK, "b": str(batch_id)},
    ).all()
    return {str(k): int(v) for k, v in rows}


def queue_overview(s: Session) -> tuple[dict[str, int], float]:
    """Jobs per status, and how long (seconds) the oldest due job has waited (0 when none)."""
    rows = s.execute(
        text("select status::text, count(*) from public.procrastinate_jobs group by status")
    ).all()
    oldest = s.execute(
        text(
            "select extract(epoch from now() - coalesce(j.scheduled_at, e.at))"
            " from public.procrastinate_jobs j"
            " join public.procrastinate_events e on e.job_id = j.id and e.type = 'deferred'"
            " where j.status = 'todo' and (j.scheduled_at is null or j.scheduled_at <= now())"
            " order by j.id limit 1"
        )
    ).scalar()
    return {str(k): int(v) for k, v in rows}, max(0.0, float(oldest or 0.0))
