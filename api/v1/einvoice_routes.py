"""Per-invoice e-invoice XML (UBL 2.1 or CII) of approved and exported invoices."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Response

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from core.storage.keys import content_disposition
from core.workflow import einvoice_export, einvoices

router = APIRouter(prefix="/invoices", tags=["exports"])


@router.get(
    "/{invoice_id}/einvoice",
    response_class=Response,
    responses={
        **problem_responses(401, 403, 404, 409, 422),
        200: {
            "description": "the e-invoice XML",
            "content": {einvoice_export.MEDIA_TYPE: {}},
        },
    },
)
def einvoice(
    invoice_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    format: Literal["ubl", "cii"] = "ubl",
) -> Response:
    """The invoice as UBL 2.1 or CII (EN 16931) XML; 409 unless it is approved or exported."""
    data, name = einvoices.einvoice_file(
        services=services, user=user, invoice_id=invoice_id, fmt=format
    )
    return Response(
        data,
        media_type=einvoice_export.MEDIA_TYPE,
        headers={
            "Content-Disposition": content_disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
