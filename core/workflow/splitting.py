"""Multi-invoice PDFs (issue 17, item 4): one invoice per detected part, re-split by an operator.

When a worker picks up an invoice whose file is a multi-page PDF it has not looked at yet, it
reads the pages' text (no OCR: a scanned stack without a text layer stays one invoice, and an
operator splits it by hand) and asks ``core.extraction.splitting.plan_split`` where invoices
begin. With more than one part, ``invoice_split`` (as the uploader) makes this invoice the first
part and creates and queues one invoice per further part, all on the same original file, with
their page ranges; the worker then extracts only the pages of its part. An owner or operator can
re-split a file in review (``resplit``: audited ``file.resplit``, new invoices, re-queued).
"""

from __future__ import annotations

import io
import logging
import uuid
from typing import Any

from core.auth.models import CurrentUser
from core.db import invoice_repo, split_repo, tenant_repo
from core.db.integration_records import FileSplit
from core.db.session import user_session
from core.errors import NotFound, ValidationFailed
from core.workflow.services import Services

log = logging.getLogger(__name__)
MAX_DETECT_PAGES = 200


def is_pdf(data: bytes) -> bool:
    return data[:5] == b"%PDF-"


def page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def pages_of(data: bytes, first: int, last: int) -> bytes:
    """A PDF holding pages ``first``..``last`` (1-based, inclusive) of ``data``."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    if not 1 <= first <= last <= len(reader.pages):
        raise ValidationFailed(
            f"pages {first}-{last} are not in this {len(reader.pages)}-page file"
        )
    writer = PdfWriter()
    for number in range(first - 1, last):
        writer.add_page(reader.pages[number])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def detect(data: bytes) -> tuple[list[tuple[int, int]], dict[str, Any]] | None:
    """The parts of a multi-invoice PDF and the plan's reasons, or None for one invoice."""
    from core.extraction.document import load_document
    from core.extraction.splitting import plan_split

    try:
        if not is_pdf(data) or page_count(data) < 2:
            return None
        document = load_document(data, max_bytes=len(data) + 1, max_pages=MAX_DETECT_PAGES,
                                 ocr=False)  # fmt: skip
    except Exception:  # an unreadable file is the extraction's business, not the split's
        log.info("split detection skipped: unreadable PDF", exc_info=True)
        return None
    plan = plan_split(document.pages)
    if not plan.is_multi:
        return None
    summary = {
        "page_count": plan.page_count,
        "blank_pages": list(plan.blank_pages),
        "parts": [
            {"pages": [p.first_page, p.last_page], "confidence": round(p.confidence, 3),
             "reasons": [r.code for r in p.reasons], "invoice_number": p.invoice_number,
             "vendor_name": p.vendor_name}
            for p in plan.parts
        ],
    }  # fmt: skip
    return plan.ranges, summary


def part_for_processing(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID, data: bytes
) -> bytes:
    """The bytes the worker extracts for ``invoice_id``: its own pages when it is a part of a
    file; the first part after splitting a multi-invoice PDF seen for the first time; else the
    whole file."""
    with user_session(services.engine, user.claims) as s:
        own = split_repo.pages(s, invoice_id)
    if own is not None:
        return pages_of(data, *own)
    if not services.settings.split_multi_invoice_pdfs:
        return data
    found = detect(data)
    if found is None:
        return data
    ranges, summary = found
    with user_session(services.engine, user.claims) as s:
        new_ids = split_repo.split(s, invoice_id, ranges, summary)
    log.info(
        "multi-invoice PDF split",
        extra={"invoice_id": str(invoice_id), "parts": len(ranges), "new": len(new_ids)},
    )
    return pages_of(data, *ranges[0])


def resplit(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID, parts: list[list[int]]
) -> list[uuid.UUID]:
    """Set the parts of the invoice's file by hand (owners and operators, while the file's
    invoices are in review or failed); returns the new invoices' ids (queued)."""
    cleaned: list[tuple[int, int]] = []
    for part in parts:
        if len(part) != 2 or not all(isinstance(p, int) for p in part):
            raise ValidationFailed("each part is [first page, last page]", field="parts")
        cleaned.append((part[0], part[1]))
    with user_session(services.engine, user.claims) as s:
        invoice = invoice_repo.get_invoice(s, invoice_id)
        if invoice is None:
            raise NotFound("invoice not found", invoice_id=str(invoice_id))
        file_row = tenant_repo.get_file(s, invoice.file_id) if invoice.file_id else None
        data = services.storage.get(file_row.object_key, user) if file_row else b""
        total = page_count(data) if is_pdf(data) else 1
        if cleaned and cleaned[-1][1] > total:
            raise ValidationFailed(f"the file has {total} page(s)", field="parts")
        return split_repo.resplit(s, invoice_id, cleaned)


def splits_of(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID
) -> tuple[tuple[int, int] | None, list[FileSplit]]:
    """The invoice's page range and its file's split history, newest first."""
    with user_session(services.engine, user.claims) as s:
        invoice = invoice_repo.get_invoice(s, invoice_id)
        if invoice is None:
            raise NotFound("invoice not found", invoice_id=str(invoice_id))
        history = split_repo.splits_of_file(s, invoice.file_id) if invoice.file_id else []
        return split_repo.pages(s, invoice_id), history
