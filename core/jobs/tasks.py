"""Worker tasks. Each invoice is processed as the user who uploaded it (RLS applies to workers
too); only queue bookkeeping (stalled-job recovery, orphan requeue) runs as a named system task.
"""

from __future__ import annotations

import contextlib
import logging
from uuid import UUID

import httpx
import procrastinate
import procrastinate.exceptions
from procrastinate import JobContext

from core.errors import InvoiceFlowError, UpstreamError
from core.jobs.queue import PROCESS_TASK, QUEUE
from core.workflow.services import Services

log = logging.getLogger(__name__)
blueprint = procrastinate.Blueprint()
WEBHOOK_QUEUE = "webhooks"
WEBHOOK_TASK = "invoiceflow.deliver_webhook"
MAX_ATTEMPTS = 3
# Transient failures worth another attempt; anything else fails the invoice with a reason at once.
RETRYABLE: tuple[type[BaseException], ...] = (UpstreamError, ConnectionError, TimeoutError, OSError)


def _services(context: JobContext) -> Services:
    services = _maybe_services(context)
    if services is None:
        raise RuntimeError("the worker was started without services (use invoiceflow worker)")
    return services


def _maybe_services(context: JobContext) -> Services | None:
    """The worker's ``Services`` (``core.jobs.worker`` passes them as additional context)."""
    services = context.additional_context.get("services")
    return services if isinstance(services, Services) else None


@blueprint.task(
    name=PROCESS_TASK,
    queue=QUEUE,
    pass_context=True,
    retry=procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS, wait=2, exponential_wait=2),
)
def process_invoice_task(
    context: JobContext,
    *,
    invoice_id: str,
    client_id: str,
    user_id: str,
    batch_id: str | None = None,
) -> str:
    """Extract and match one invoice; idempotent (a finished invoice is left as it is)."""
    from core.workflow import processing

    services = _services(context)
    started = _started_attempts(services, UUID(invoice_id))
    attempt = max(context.job.attempts + 1, started)
    if started > MAX_ATTEMPTS:
        # A poison pill: earlier attempts started and never finished, because their worker died
        # (out of memory, kill -9) before any exception handler could run. Stop retrying.
        log.error(
            "invoice processing started too often without finishing",
            extra={"invoice_id": invoice_id, "attempt": attempt},
        )
        processing.fail_invoice(
            services=services,
            invoice_id=UUID(invoice_id),
            user_id=UUID(user_id),
            reason="attempts_exhausted",
            detail=f"processing started {started - 1} times and never finished: the worker "
            "died each time (out of memory, killed or crashed)",
        )
        if batch_id:
            processing.refresh_batch(
                services=services, batch_id=UUID(batch_id), user_id=UUID(user_id)
            )
        return "failed:attempts_exhausted"
    try:
        outcome = processing.process_invoice(
            services=services,
            invoice_id=UUID(invoice_id),
            user_id=UUID(user_id),
            attempt=attempt,
        )
    except Exception as exc:
        retryable = isinstance(exc, RETRYABLE) or _is_db_disconnect(exc)
        if retryable and attempt < MAX_ATTEMPTS:
            log.warning(
                "invoice processing failed, will retry",
                extra={"invoice_id": invoice_id, "attempt": attempt, "error": type(exc).__name__},
            )
            raise
        reason = exc.code if isinstance(exc, InvoiceFlowError) else "processing_error"
        log.error(
            "invoice processing failed for good",
            exc_info=not isinstance(exc, InvoiceFlowError),
            extra={"invoice_id": invoice_id, "attempt": attempt, "reason": reason},
        )
        processing.fail_invoice(
            services=services,
            invoice_id=UUID(invoice_id),
            user_id=UUID(user_id),
            reason=reason,
            detail=str(exc) if isinstance(exc, InvoiceFlowError) else type(exc).__name__,
        )
        outcome = f"failed:{reason}"
    if batch_id:
        processing.refresh_batch(services=services, batch_id=UUID(batch_id), user_id=UUID(user_id))
    return outcome


def _started_attempts(services: Services, invoice_id: UUID) -> int:
    """Attempts started for this invoice, this one included (queue bookkeeping: system task)."""
    from core.db import job_repo
    from core.db.session import service_session

    with service_session(services.engine, "jobs.attempts") as s:
        return job_repo.started_attempts(s, invoice_id)


def _is_db_disconnect(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if type(seen).__name__ in {"OperationalError", "InterfaceError"}:
            return True
        seen = seen.__cause__
    return False


@blueprint.periodic(cron="* * * * * */20")
@blueprint.task(
    name="invoiceflow.queue_maintenance", queueing_lock="queue_maintenance", pass_context=True
)
async def queue_maintenance(context: JobContext, timestamp: int) -> dict[str, int]:
    """Retry jobs of workers that died (no heartbeat) and requeue invoices that lost their job."""
    services = _maybe_services(context)
    seconds = services.settings.worker_stalled_seconds if services is not None else 30.0
    stalled = await retry_stalled_jobs(context.app, seconds_since_heartbeat=seconds)
    requeued = 0
    if services is not None:
        requeued = await procrastinate.utils.sync_to_async(services.jobs.requeue_orphans)
    return {"stalled_retried": stalled, "orphans_requeued": requeued}


async def retry_stalled_jobs(app: procrastinate.App, *, seconds_since_heartbeat: float = 30) -> int:
    """Put jobs left in ``doing`` by a dead worker back to ``todo``; returns how many."""
    stalled = list(
        await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat)
    )
    for job in stalled:
        log.warning("retrying stalled job", extra={"job_id": job.id, "task": job.task_name})
        await app.job_manager.retry_job(job)
    return len(stalled)


@blueprint.periodic(cron="* * * * * */30")
@blueprint.task(
    name="invoiceflow.integration_housekeeping",
    queueing_lock="integration_housekeeping",
    pass_context=True,
)
async def integration_housekeeping(context: JobContext, timestamp: int) -> dict[str, int]:
    """Expired API keys lose their membership (so the jobs they queued stop too); idempotency
    keys older than 24 hours are deleted."""
    services = _maybe_services(context)
    if services is None:
        return {}
    from core.workflow import api_keys, idempotency

    expired = await procrastinate.utils.sync_to_async(api_keys.expire_keys, services=services)
    swept = await procrastinate.utils.sync_to_async(idempotency.sweep, services=services)
    rearmed = await procrastinate.utils.sync_to_async(_rearm_webhooks, services)
    from core.workflow import export_jobs

    exports_swept = await procrastinate.utils.sync_to_async(export_jobs.sweep, services=services)
    return {
        "api_keys_expired": expired,
        "idempotency_keys_swept": swept,
        "webhook_deliveries_rearmed": rearmed,
        "export_jobs_swept": exports_swept,
    }


@blueprint.task(name="invoiceflow.run_export", queue="exports", pass_context=True)
def run_export(context: JobContext, *, export_job_id: str, user_id: str) -> str:
    """Render one export job as its requester and keep the file (``core.workflow.export_jobs``)."""
    from core.workflow import export_jobs

    return export_jobs.run(
        services=_services(context), job_id=UUID(export_job_id), user_id=UUID(user_id)
    )


def _rearm_webhooks(services: Services) -> int:
    from core.db import webhook_repo
    from core.db.session import service_session

    with service_session(services.engine, "webhooks.rearm") as s:
        return webhook_repo.rearm_orphans(s)


_http_clients: dict[int, httpx.AsyncClient] = {}


def _http_client() -> httpx.AsyncClient:
    """One pooled HTTP client per event loop (the webhook worker's)."""
    import asyncio

    key = id(asyncio.get_running_loop())
    client = _http_clients.get(key)
    if client is None or client.is_closed:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        client = _http_clients[key] = httpx.AsyncClient(limits=limits, verify=True)
    return client


@blueprint.task(name=WEBHOOK_TASK, queue=WEBHOOK_QUEUE, pass_context=True)
async def deliver_webhook(context: JobContext, *, delivery_id: str) -> str:
    """One attempt of one webhook delivery; a failed one is queued again after its backoff
    (with the same locks, so a manual redelivery and a retry never run at once)."""
    from core.workflow import webhooks

    services = _services(context)
    outcome = await webhooks.deliver(services, _http_client(), UUID(delivery_id))
    if outcome.retry_in is not None:
        lock = f"webhook:{delivery_id}"
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):  # a redelivery waits
            await context.app.configure_task(
                WEBHOOK_TASK, queue=WEBHOOK_QUEUE, lock=lock, queueing_lock=lock,
                schedule_in={"seconds": outcome.retry_in},
            ).defer_async(delivery_id=delivery_id)  # fmt: skip
    return outcome.status


@blueprint.periodic(cron="* * * * * */10")
@blueprint.task(
    name="invoiceflow.poll_mailboxes", queue="mail", queueing_lock="poll_mailboxes",
    pass_context=True,
)  # fmt: skip
def poll_mailboxes(context: JobContext, timestamp: int) -> dict[str, int]:
    """Poll the client mailboxes that are due (each as its own service principal)."""
    services = _maybe_services(context)
    if services is None:
        return {}
    from core.workflow import mailboxes

    return mailboxes.poll_due(services)
