"""Exports of invoices, lines and matches as CSV, XLSX or JSON downloads."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.v1.invoice_routes import FilterDep
from core.workflow import bills_export, exports, invoices

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
    sheet: Annotated[Literal["invoices", "lines", "matches"], Query()] = "invoices",
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
