"""Processing one invoice in a worker: extract, validate, match, route to review or auto-approval.

Runs as the uploader (``user_session`` with their claims), so RLS applies to workers too.
Idempotent and crash-safe: the status moves to ``extracting`` in its own transaction, the slow
extraction runs outside any transaction, and everything it produces (fields, lines, matches and
the next three status changes) is written in ONE transaction that first re-checks the status. A
worker killed at any point leaves either ``received``/``extracting`` (the job is retried) or the
finished result (a retry sees it and does nothing): never half an invoice, never two.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import Any

from core.db import approval_repo, invoice_repo, tenant_repo
from core.db.records import CORRECTABLE_FIELDS, File
from core.db.session import user_session
from core.errors import FileOutsideClient
from core.extraction.hints import apply_hints, repair_scan_amounts, repaired_fields
from core.extraction.schema import Extraction
from core.storage.keys import BUCKET
from core.workflow import learning, splitting, trust_ladder
from core.workflow.matching_step import MatchOutcome, auto_band_vendor, match_invoice
from core.workflow.services import Services
from core.workflow.states import InvoiceStatus as S
from core.workflow.transitions import apply_change, worker_user

log = logging.getLogger(__name__)
AUTO_APPROVE_CONFIDENCE = 0.85  # below this a person looks at the fields whatever the match says
SCAN_KEY_FIELDS = ("invoice_number", "invoice_date", "total")


def unsure_scan_fields(extraction: Extraction) -> list[str]:
    """On an OCR read, the key fields read with less than ``AUTO_APPROVE_CONFIDENCE``: such an
    invoice is never approved unseen, whatever its mean confidence (a text layer's weak field
    is a label the rules do not know; a scan's may be a misread or the wrong value)."""
    if extraction.source != "ocr":
        return []
    return [
        name
        for name in SCAN_KEY_FIELDS
        if extraction.field(name).confidence < AUTO_APPROVE_CONFIDENCE
    ]


def _extraction_changes(ex: Extraction) -> dict[str, Any]:
    doc_type = ex.document_type.value
    # The header fields the extraction reads (a field only reviewers enter is not among them).
    changes: dict[str, Any] = {
        name: getattr(ex, name).value
        for name in CORRECTABLE_FIELDS
        if name in Extraction.model_fields and name != "document_type"
    }
    changes["document_type"] = getattr(doc_type, "value", doc_type)
    changes.update(
        extraction=ex.model_dump(mode="json"),
        extractor=ex.extractor,
        extractor_version=ex.extractor_version,
        model=ex.model,
        prompt_version=ex.prompt_version,
        confidence=Decimal(str(round(ex.overall_confidence, 4))),
        failure_reason=None,
    )
    if changes.get("currency") and len(str(changes["currency"])) != 3:
        changes["currency"] = None  # the column only takes ISO codes; the raw text stays in JSON
    return changes


LINE_NUMBER_LIMIT = Decimal(10) ** 14  # invoice_lines' numeric(18, 4) columns hold less


def _line_number(value: Decimal | None) -> Decimal | None:
    """A quantity, price or amount the line table can hold; an absurd one (any extractor's, the
    LLM's too) is not stored rather than failing the whole invoice."""
    return value if value is None or abs(value) < LINE_NUMBER_LIMIT else None


def _tax_rate(value: Decimal | None) -> Decimal | None:
    """A line's tax rate is a percentage (0-100); anything else is no tax rate (OCR glued a rate
    to an amount: "19241,88%"); invoice_lines.tax_rate is numeric(7, 4) and refused it, which
    failed the invoice's processing."""
    return value if value is None or 0 <= value <= 100 else None


def _lines(ex: Extraction) -> list[dict[str, Any]]:
    return [
        {
            "line_no": n,
            "description": item.description,
            "product_code": item.product_code,
            "quantity": _line_number(item.quantity),
            "unit": item.unit,
            "unit_price": _line_number(item.unit_price),
            "amount": _line_number(item.amount),
            "tax_rate": _tax_rate(item.tax_rate),
            "allowance": item.allowance,
            "charge": item.charge,
        }
        for n, item in enumerate(ex.line_items, start=1)
    ]


def provenance(ex: Extraction) -> dict[str, Any]:
    """What the audit log records about who produced a value."""
    return {
        "extractor": ex.extractor,
        "extractor_version": ex.extractor_version,
        "model": ex.model,
        "prompt_version": ex.prompt_version,
        "source": ex.source,
        "fallback_reason": ex.fallback_reason,
    }


def check_file_in_client(file_row: File, client_id: uuid.UUID) -> None:
    """Refuse a file row that does not name an object of the invoice's own client.

    The database already refuses such rows (files_object_in_client_folder); the worker checks
    again before it reads a byte, because it reads with the uploader's storage rights, which may
    reach other clients' objects (F1).
    """
    key = file_row.object_key
    if (
        file_row.client_id != client_id
        or file_row.bucket != BUCKET
        or not key.startswith(f"{client_id}/")
    ):
        raise FileOutsideClient(
            "the invoice's file is not stored under its own client", file_id=str(file_row.id)
        )


def _apply_vendor_hints(
    s: Any, invoice: Any, extraction: Extraction, outcome: MatchOutcome
) -> tuple[Extraction, dict[str, str]]:
    """The extraction with the matched vendor's learned hints tried first (issue 14).

    Only for a vendor matched in the auto band: a hint of a vendor that is only a guess could
    read another vendor's page wrongly."""
    vendor = next((r for r in outcome.rows if r.get("kind") == "vendor"), None)
    if vendor is None or vendor.get("band") != "auto" or not vendor.get("vendor_id"):
        return extraction, {}
    vendor_id = uuid.UUID(str(vendor["vendor_id"]))
    hints = learning.vendor_hints(s, invoice.client_id, vendor_id)
    extraction, hinted = apply_hints(extraction, hints)
    # An unsure currency ("$" alone) the vendor is known to bill in is confirmed (issue 14).
    extraction, source = learning.confirm_vendor_currency(s, invoice.client_id, vendor_id,
                                                          extraction)  # fmt: skip
    if source:
        hinted = {**hinted, "currency": learning.CURRENCY_SIGNAL}
    return extraction, hinted


def _llm_examples(
    services: Services, user: Any, invoice_id: uuid.UUID, extraction: Extraction
) -> list[Any]:
    """The known vendor's corrected examples for the LLM prompt (issue 14), or none.

    Only for a result the LLM read and a vendor matched in the auto band (as for the offline
    hints), from the invoice's own client, in a short read-only session of the uploader."""
    if not services.settings.learning_enabled or extraction.extractor != "openai":
        return []
    with user_session(services.engine, user.claims) as s:
        invoice = invoice_repo.get_invoice(s, invoice_id)
        if invoice is None or invoice.status != S.extracting.value:
            return []
        vendor_id = auto_band_vendor(s, invoice=invoice, extraction=extraction)
        if vendor_id is None:
            return []
        return list(learning.vendor_examples(s, invoice.client_id, vendor_id))


def process_invoice(
    *, services: Services, invoice_id: uuid.UUID, user_id: uuid.UUID, attempt: int = 1
) -> str:
    """Process one invoice end to end; returns a short outcome for the job log."""
    user = worker_user(user_id)
    engine = services.engine
    with user_session(engine, user.claims) as s:
        invoice = invoice_repo.get_invoice(s, invoice_id, for_update=True)
        if invoice is None:
            return "gone"  # deleted (or not visible to the uploader any more)
        if invoice.status not in (S.received.value, S.extracting.value):
            return f"already:{invoice.status}"
        if invoice.status == S.received.value:
            invoice = apply_change(
                s,
                invoice,
                action="status.extracting",
                meta={"by": "worker", "attempt": attempt},
            )
        file_row = tenant_repo.get_file(s, invoice.file_id) if invoice.file_id else None
    if file_row is None:
        fail_invoice(
            services=services,
            invoice_id=invoice_id,
            user_id=user_id,
            reason="file_missing",
            detail="the stored file is gone",
        )
        return "failed:file_missing"
    try:
        check_file_in_client(file_row, invoice.client_id)
    except FileOutsideClient as exc:
        fail_invoice(
            services=services,
            invoice_id=invoice_id,
            user_id=user_id,
            reason=exc.code,
            detail=exc.message,
        )
        return f"failed:{exc.code}"
    data = services.storage.get(file_row.object_key, user)
    # A multi-invoice PDF: this invoice's pages only (splitting it first if it is new).
    data = splitting.part_for_processing(
        services=services, user=user, invoice_id=invoice_id, data=data
    )
    extraction = services.extraction.extract(data, filename=file_row.original_name)
    if examples := _llm_examples(services, user, invoice_id, extraction):
        # read again with the vendor's corrected examples in the prompt (a new prompt version)
        extraction = services.extraction.extract(
            data, filename=file_row.original_name, vendor_examples=examples
        )

    with user_session(engine, user.claims) as s:
        invoice = invoice_repo.get_invoice(s, invoice_id, for_update=True)
        if invoice is None or invoice.status != S.extracting.value:
            return "superseded"  # another attempt finished first; keep its result
        outcome = match_invoice(s, invoice=invoice, extraction=extraction)
        extraction, hinted = (
            _apply_vendor_hints(s, invoice, extraction, outcome)
            if services.settings.learning_enabled
            else (extraction, {})
        )
        # A scan's amount OCR misread, that the other two give back, is repaired (unsure).
        read_total = extraction.total.value
        extraction = repair_scan_amounts(extraction)
        if hinted or extraction.total.value != read_total:
            outcome = match_invoice(s, invoice=invoice, extraction=extraction)
        meta = {"by": "worker", "attempt": attempt, **provenance(extraction)}
        if hinted:
            meta["hints"] = hinted
        invoice = apply_change(
            s,
            invoice,
            action="status.extracted",
            changes={**_extraction_changes(extraction), "lines": _lines(extraction)},
            meta=meta,
        )
        invoice = apply_change(
            s,
            invoice,
            action="status.matched",
            changes={**outcome.invoice_changes, "matches": outcome.rows},
            meta={"by": "worker", "profile_version": outcome.profile_version},
        )
        # The PO match's typed exceptions, with the door call above (same transaction).
        invoice_repo.record_exceptions(s, invoice.id, outcome.exceptions)
        # An amount repaired from OCR digit confusions or a lost digit is never approved unseen.
        repaired = repaired_fields(extraction)
        # So is a scan whose number, date or total OCR read unsure (a due date taken for the
        # invoice date): the mean confidence hides one weak key field.
        unsure = unsure_scan_fields(extraction)
        auto = (
            outcome.auto
            and extraction.overall_confidence >= AUTO_APPROVE_CONFIDENCE
            and not repaired
            and not unsure
        )
        # The approval policy's blocks hold for auto-approval too (the door refuses it anyway).
        blocked = [r.code for r in approval_repo.reasons(s, invoice_id) if r.blocking]
        # And the policy's trust ladder decides straight-through approval (issue 14): every
        # condition must hold; the door refuses it otherwise (each failed one is a typed reason).
        ladder = [reason.value for reason, _ in trust_ladder.refusals(s, invoice_id)]
        # The ladder's acceptance approves in the same door call (status.auto_approved moves
        # matched -> approved): it is exported with no touch.
        straight = auto and not blocked and not ladder
        target = S.approved if straight else S.needs_review
        apply_change(
            s,
            invoice,
            action="status.auto_approved" if straight else "status.needs_review",
            meta={
                "by": "worker",
                "profile_version": outcome.profile_version,
                "confidence": extraction.overall_confidence,
                "reason": outcome.reason,
                **({"blocked_by": blocked} if blocked else {}),
                **({"repaired": repaired} if repaired else {}),
                **({"unsure": unsure} if unsure else {}),
                **({"ladder": ladder} if ladder else {"rule": "trust_ladder"}),
            },
        )
    return target.value


def fail_invoice(
    *,
    services: Services,
    invoice_id: uuid.UUID,
    user_id: uuid.UUID,
    reason: str,
    detail: str = "",
) -> bool:
    """Mark an in-flight invoice failed with a machine-readable reason; False if not in flight."""
    user = worker_user(user_id)
    with user_session(services.engine, user.claims) as s:
        invoice = invoice_repo.get_invoice(s, invoice_id, for_update=True)
        if invoice is None:
            return False
        if invoice.status == S.received.value:
            invoice = apply_change(s, invoice, action="status.extracting")
        if invoice.status not in (S.extracting.value, S.extracted.value, S.matched.value):
            return False
        apply_change(
            s,
            invoice,
            action="status.failed",
            changes={"failure_reason": reason},
            meta={"by": "worker", "detail": detail[:500]},
        )
    log.warning("invoice failed", extra={"invoice_id": str(invoice_id), "reason": reason})
    return True


def refresh_batch(*, services: Services, batch_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Mark the batch done once none of its invoices is still in flight."""
    user = worker_user(user_id)
    with user_session(services.engine, user.claims) as s:
        batch = tenant_repo.get_batch(s, batch_id)
        if batch is None:
            return
        in_flight = sum(
            n
            for status, n in batch.counts.items()
            if status in (S.received.value, S.extracting.value, S.extracted.value, S.matched.value)
        )
        tenant_repo.set_batch_status(s, batch_id, "processing" if in_flight else "done")
