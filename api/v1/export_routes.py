"""Exports of invoices, lines and matches as CSV, XLSX or JSON downloads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

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
    mark_exported: bool = True,
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
    """Approved (and already exported) invoices by default; approved ones become exported."""
    data = invoices.export_invoices(
        services=services,
        user=user,
        filters=f,
        fmt=format,
        sheet=sheet,
        mark_exported=mark_exported,
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
