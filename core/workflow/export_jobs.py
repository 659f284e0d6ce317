"""Export jobs (issue 17, item 5): a large export is a job that produces a file.

``create`` records the request (the filter, the format and its options) and queues the job in
the same transaction (``create_export_job``); the worker runs it as the requester, so RLS
decides what is exported exactly as for the synchronous download, and only writers move
approved invoices to exported (audited, so ``invoice.exported`` webhooks follow). There is no
row cap. The file is kept with the job (``public.export_files``, the requester's only) and both
are deleted after 7 days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from decimal import Decimal
from typing import Any

from core.auth.models import CurrentUser
from core.db import export_job_repo
from core.db.integration_records import ExportJob
from core.db.invoice_query import InvoiceFilter
from core.db.session import service_session, user_session
from core.errors import InvoiceFlowError, NotFound, ValidationFailed
from core.workflow import bills_export, exports, invoices
from core.workflow.services import Services
from core.workflow.transitions import worker_user

log = logging.getLogger(__name__)
RUN_TASK = "invoiceflow.run_export"

_TYPES: dict[str, Any] = {
    "client_id": uuid.UUID, "vendor_id": uuid.UUID, "batch_id": uuid.UUID,
    "date_from": dt.date.fromisoformat, "date_to": dt.date.fromisoformat,
    "amount_min": Decimal, "amount_max": Decimal,
}  # fmt: skip


def _filters_to_json(f: InvoiceFilter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in dataclasses.asdict(f).items():
        if value is None or value == ():
            continue
        out[name] = [str(v) for v in value] if isinstance(value, tuple) else str(value)
    return out


def _filters_from_json(data: dict[str, Any]) -> InvoiceFilter:
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name == "status":
            values[name] = tuple(value)
        else:
            values[name] = _TYPES.get(name, str)(value)
    return InvoiceFilter(**values)


def create(
    *,
    services: Services,
    user: CurrentUser,
    filters: InvoiceFilter,
    fmt: str,
    sheet: str = "invoices",
    bills: bills_export.BillsOptions | None = None,
) -> ExportJob:
    """Queue an export of the invoices matching ``filters`` (no row limit).

    A read, like every export: it changes no invoice (marking is ``mark_invoices_exported``)."""
    if fmt not in exports.MEDIA_TYPES:
        raise ValidationFailed("format must be csv, xlsx, json or xero_bills", field="format")
    if sheet not in exports.SHEETS:
        raise ValidationFailed("sheet must be invoices, lines or matches", field="sheet")
    options = bills or bills_export.BillsOptions()
    params = {
        "filters": _filters_to_json(filters),
        "sheet": sheet,
        "bills": dataclasses.asdict(options),
    }
    with user_session(services.engine, user.claims) as s:
        return export_job_repo.create(s, client_id=filters.client_id, fmt=fmt, params=params)


def get(*, services: Services, user: CurrentUser, job_id: uuid.UUID) -> ExportJob:
    """One of the caller's export jobs."""
    with user_session(services.engine, user.claims) as s:
        job = export_job_repo.get(s, job_id)
    if job is None:
        raise NotFound("export job not found", export_job_id=str(job_id))
    return job


def list_jobs(
    *, services: Services, user: CurrentUser, limit: int = 50, offset: int = 0
) -> list[ExportJob]:
    """The caller's export jobs, newest first."""
    with user_session(services.engine, user.claims) as s:
        return export_job_repo.list_mine(s, limit=limit, offset=offset)


def file(*, services: Services, user: CurrentUser, job_id: uuid.UUID) -> tuple[ExportJob, bytes]:
    """A finished job's file; ``NotFound`` until it has one."""
    with user_session(services.engine, user.claims) as s:
        job = export_job_repo.get(s, job_id)
        data = export_job_repo.file_data(s, job_id) if job is not None else None
    if job is None:
        raise NotFound("export job not found", export_job_id=str(job_id))
    if job.status != "succeeded" or data is None:
        raise NotFound(f"the export is {job.status}: no file yet", export_job_id=str(job_id))
    return job, data


def file_name(job: ExportJob) -> str:
    stamp = job.created_at.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if job.format == "xero_bills":
        return f"xero-bills-{stamp}.csv"
    sheet = str((job.params or {}).get("sheet", "invoices"))
    return f"invoices-{stamp}.{job.format}" if job.format != "csv" else f"{sheet}-{stamp}.csv"


def run(*, services: Services, job_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The worker's task body: render the export as its requester and keep the file."""
    user = worker_user(user_id)
    with user_session(services.engine, user.claims) as s:
        job = export_job_repo.get(s, job_id, for_update=True)
        if job is None:
            return "gone"  # deleted, or its requester lost access to it
        if job.status == "succeeded":
            return "succeeded"  # a retried job that had finished
        export_job_repo.start(s, job_id)
    params = dict(job.params or {})
    try:
        result = invoices.export_invoices_counted(
            services=services, user=user, filters=_filters_from_json(params.get("filters", {})),
            fmt=job.format,  # type: ignore[arg-type]
            sheet=str(params.get("sheet", "invoices")),
            bills=bills_export.BillsOptions(**params.get("bills", {})), max_rows=None,
        )  # fmt: skip
    except InvoiceFlowError as exc:
        with user_session(services.engine, user.claims) as s:
            export_job_repo.fail(s, job_id, f"{exc.code}: {exc.message}")
        return "failed"
    except Exception:
        log.exception("export job failed", extra={"export_job_id": str(job_id)})
        with user_session(services.engine, user.claims) as s:
            export_job_repo.fail(s, job_id, "internal error (see the worker's log)")
        raise
    with user_session(services.engine, user.claims) as s:
        export_job_repo.finish(
            s, job_id, data=result.data, file_name=file_name(job),
            content_type=exports.MEDIA_TYPES[job.format], row_count=result.row_count,
        )  # fmt: skip
    return "succeeded"


def sweep(*, services: Services) -> int:
    """Housekeeping: delete jobs (and files) older than 7 days; how many."""
    with service_session(services.engine, "exports.sweep") as s:
        return export_job_repo.sweep(s)
