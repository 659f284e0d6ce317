"""Exports of invoices, lines and matches as CSV, XLSX or JSON downloads."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.v1.invoice_routes import FilterDep
from api.v1.schemas import ExportJobPublic, Page
from core.db.integration_records import ExportJob
from core.workflow import bills_export, export_jobs, exports, invoices

router = APIRouter(tags=["exports"])


@router.get(
    "/exports",
    response_class=Response,
    responses={
        **problem_responses(401, 403, 404, 422),
        200: {
            "description": "the export file",
            "content": {t: {} for t in exports.MEDIA_TYPES.values()},
        },
    },
)
def export(
    user: CurrentUserDep,
    services: ServicesDep,
    f: FilterDep,
    format: Literal["csv", "xlsx", "json", "xero_bills"] = "csv",
    sheet: Annotated[Literal["invoices", "lines", "matches", "exceptions"], Query()] = "invoices",
    account_code: Annotated[
        str, Query(max_length=10, description="xero_bills: the expense account code")
    ] = "",
    tax_type: Annotated[
        str, Query(max_length=100, description="xero_bills: the tax rate's name in Xero")
    ] = "",
    date_order: Annotated[
        Literal["dmy", "mdy"], Query(description="xero_bills: day-first (UK/AU/NZ) or US dates")
    ] = "dmy",
) -> Response:
    """Approved (and already exported) invoices by default. A read: it changes no status (mark
    what you exported with ``POST /exports/mark-exported``)."""
    data = invoices.export_invoices(
        services=services,
        user=user,
        filters=f,
        fmt=format,
        sheet=sheet,
        bills=bills_export.BillsOptions(account_code, tax_type, date_order),
    )
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if format == "xero_bills":
        name = f"xero-bills-{stamp}.csv"
    else:
        name = f"invoices-{stamp}.{format}" if format != "csv" else f"{sheet}-{stamp}.csv"
    return Response(
        data,
        media_type=exports.MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


class MarkExportedCreate(BaseModel):
    """The invoices you exported (approved ones move to ``exported``)."""

    model_config = ConfigDict(extra="forbid")

    invoice_ids: list[uuid.UUID] = Field(min_length=1, max_length=invoices.MAX_EXPORT)
    format: Literal["csv", "xlsx", "json", "xero_bills"] | None = None


class MarkedExportedPublic(BaseModel):
    marked: list[uuid.UUID] = Field(description="now exported (audited status.exported)")
    skipped: list[uuid.UUID] = Field(
        description="left as they were: not approved, or your role may only read them"
    )


@router.post(
    "/exports/mark-exported",
    response_model=MarkedExportedPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def mark_exported(
    body: MarkExportedCreate, user: CurrentUserDep, services: ServicesDep
) -> MarkedExportedPublic:
    """Mark approved invoices as exported (owners and operators; each audited)."""
    done = invoices.mark_invoices_exported(
        services=services, user=user, invoice_ids=body.invoice_ids, fmt=body.format
    )
    return MarkedExportedPublic(marked=list(done.marked), skipped=list(done.skipped))


def _job_public(job: ExportJob) -> ExportJobPublic:
    public = ExportJobPublic.model_validate(job)
    if job.status == "succeeded":
        public.file_url = f"/api/v1/export-jobs/{job.id}/file"
    return public


@router.post(
    "/export-jobs",
    response_model=ExportJobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 403, 404, 422),
)
def create_export_job(
    user: CurrentUserDep,
    services: ServicesDep,
    f: FilterDep,
    format: Literal["csv", "xlsx", "json", "xero_bills"] = "csv",
    sheet: Annotated[Literal["invoices", "lines", "matches"], Query()] = "invoices",
    account_code: Annotated[str, Query(max_length=10)] = "",
    tax_type: Annotated[str, Query(max_length=100)] = "",
    date_order: Annotated[Literal["dmy", "mdy"], Query()] = "dmy",
) -> ExportJobPublic:
    """Export any number of invoices as a job (the same filters and options as GET /exports).

    Poll ``GET /export-jobs/{id}``; when it has succeeded, download ``file_url`` (kept 7 days).
    Like GET /exports it changes nothing: mark what you imported with
    ``POST /exports/mark-exported``."""
    job = export_jobs.create(
        services=services, user=user, filters=f, fmt=format, sheet=sheet,
        bills=bills_export.BillsOptions(account_code, tax_type, date_order),
    )  # fmt: skip
    return _job_public(job)


@router.get("/export-jobs", response_model=Page[ExportJobPublic], responses=problem_responses(401))
def list_export_jobs(
    user: CurrentUserDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[ExportJobPublic]:
    """Your export jobs, newest first."""
    rows = export_jobs.list_jobs(services=services, user=user, limit=limit, offset=offset)
    return Page(data=[_job_public(r) for r in rows], count=len(rows))


@router.get(
    "/export-jobs/{job_id}", response_model=ExportJobPublic, responses=problem_responses(401, 404)
)
def get_export_job(
    job_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> ExportJobPublic:
    """One of your export jobs."""
    return _job_public(export_jobs.get(services=services, user=user, job_id=job_id))


@router.get(
    "/export-jobs/{job_id}/file",
    response_class=Response,
    responses={
        **problem_responses(401, 404),
        200: {
            "description": "the export file",
            "content": {t: {} for t in exports.MEDIA_TYPES.values()},
        },
    },
)
def download_export_job(job_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> Response:
    """The file of a finished export job (404 until it has succeeded)."""
    job, data = export_jobs.file(services=services, user=user, job_id=job_id)
    return Response(
        data,
        media_type=job.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{job.file_name or "export"}"',
            "Cache-Control": "no-store",
        },
    )
