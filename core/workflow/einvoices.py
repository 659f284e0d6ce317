"""Per-invoice e-invoice downloads (UBL 2.1 or CII) of approved and exported invoices.

Reading only: the download never changes the invoice's status (marking invoices exported is the
export's business, see ``invoices.export_invoices``).
"""

from __future__ import annotations

import uuid
from typing import cast

from core.auth.models import CurrentUser
from core.db import einvoice_repo, invoice_repo, tenant_repo
from core.db.session import user_session
from core.errors import Conflict, ValidationFailed
from core.storage.keys import sanitize_filename
from core.workflow.einvoice_export import EInvoiceFormat, render
from core.workflow.einvoice_model import from_invoice
from core.workflow.services import Services
from core.workflow.states import EXPORTABLE, InvoiceStatus
from core.workflow.transitions import load_invoice

FORMATS: tuple[EInvoiceFormat, ...] = ("ubl", "cii")


def einvoice_file(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID, fmt: str
) -> tuple[bytes, str]:
    """The invoice as e-invoice XML in ``fmt`` and a file name for it.

    ``Conflict`` (code ``not_exportable``) unless the invoice is approved or exported;
    ``ValidationFailed`` when it lacks a value every e-invoice needs (number, date, currency,
    total).
    """
    if fmt not in FORMATS:
        raise ValidationFailed("format must be ubl or cii")
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        status = InvoiceStatus(invoice.status)
        if status not in EXPORTABLE:
            raise Conflict(
                f"only approved or exported invoices are exported; this one is {status.value}",
                code="not_exportable",
                status=status.value,
            )
        lines = invoice_repo.invoice_lines(s, [invoice_id])
        extraction = einvoice_repo.extraction_of(s, invoice_id)
        client = tenant_repo.get_client(s, invoice.client_id)
    doc = from_invoice(
        invoice.as_dict(),
        [line.as_dict() for line in lines],
        extraction=extraction,
        buyer_name=client.name if client else None,
    )
    name = sanitize_filename(f"{doc.number}-{fmt}.xml")
    return render(doc, cast(EInvoiceFormat, fmt)), name
