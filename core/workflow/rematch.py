"""Re-matching: run vendor, purchase-order and duplicate matching again on an invoice as it stands.

A reviewer's correction of the fields matching reads (vendor name, VAT id, IBAN, PO number,
invoice number, amounts, lines) re-runs the kinds of matching they feed, in the same transaction
as the correction (``rematch_after_correction``); an operator can also ask for it
(``rematch_invoice``). The database's ``match.rematched`` action replaces the match rows of the
kinds that ran again, decided or not, and audits what it replaced, by what, and why. The checks
need no re-run: ``public.invoice_checks`` computes them from the current values whenever asked.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import invoice_repo, review_repo
from core.db.records import CORRECTABLE_FIELDS, Invoice
from core.db.session import user_session
from core.errors import Conflict
from core.extraction.schema import ExtractedField, Extraction, LineItem
from core.workflow.matching_step import match_invoice
from core.workflow.services import Services
from core.workflow.transitions import apply_change, load_editable, load_invoice

log = logging.getLogger(__name__)

VENDOR = "vendor"
PURCHASE_ORDER = "purchase_order"
DUPLICATE = "duplicate"
ALL_KINDS = frozenset({VENDOR, PURCHASE_ORDER, DUPLICATE})
# Which kinds of matching read which fields (a kind not listed here, e.g. 3-way line rows, is
# matched with the purchase order).
_FEEDS: dict[str, frozenset[str]] = {
    "vendor_name": frozenset({VENDOR, DUPLICATE}),
    "vendor_vat_id": frozenset({VENDOR, DUPLICATE}),
    "vendor_iban": frozenset({VENDOR, DUPLICATE}),
    "po_number": frozenset({PURCHASE_ORDER}),
    "invoice_number": frozenset({DUPLICATE}),
    "total": frozenset({PURCHASE_ORDER, DUPLICATE}),
    "subtotal": frozenset({PURCHASE_ORDER}),
    "tax": frozenset({PURCHASE_ORDER}),
    "amount_due": frozenset({PURCHASE_ORDER}),
    "line_total": frozenset({PURCHASE_ORDER}),
    "currency": frozenset({PURCHASE_ORDER, DUPLICATE}),
    "lines": frozenset({PURCHASE_ORDER}),
}


def kinds_for(changed: Iterable[str]) -> frozenset[str]:
    """The kinds of matching that read any of the ``changed`` fields."""
    out: set[str] = set()
    for name in changed:
        out |= _FEEDS.get(name, frozenset())
    return frozenset(out)


def _group(kind: str) -> str:
    return kind if kind in (VENDOR, DUPLICATE) else PURCHASE_ORDER


def facts(s: Session, invoice: Invoice) -> Extraction:
    """The extraction as the invoice stands now: the stored reading with every corrected value
    (and the current line items) in place of what was read."""
    stored = review_repo.invoice_extraction(s, invoice.id) or {}
    try:
        ex = Extraction.model_validate(stored)
    except ValidationError:
        ex = Extraction()
    for name in CORRECTABLE_FIELDS:
        if name not in Extraction.model_fields or name == "document_type":
            continue
        current = getattr(invoice, name)
        field: ExtractedField[Any] = getattr(ex, name)
        if field.value != current:
            confidence = 0.0 if current is None else 1.0
            setattr(ex, name, type(field)(value=current, confidence=confidence))
    ex.line_items = [
        LineItem(
            description=line.description,
            product_code=line.product_code,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            amount=line.amount,
            allowance=line.allowance,
            charge=line.charge,
            confidence=1.0,
        )
        for line in invoice_repo.invoice_lines(s, [invoice.id])
    ]
    return ex


def rematch_in(
    s: Session,
    invoice: Invoice,
    *,
    kinds: Iterable[str],
    why: str,
    trigger: str,
    fields: Iterable[str] = (),
) -> Invoice:
    """Re-run the ``kinds`` of matching on the locked ``invoice`` inside the caller's unit of
    work; the door replaces their rows and audits ``why``. Returns the invoice as it is now."""
    wanted = {_group(k) for k in kinds} & ALL_KINDS
    if not wanted:
        return invoice
    outcome = match_invoice(s, invoice=invoice, extraction=facts(s, invoice))
    rows = [r for r in outcome.rows if _group(str(r["kind"])) in wanted]
    present = {m.kind for m in invoice_repo.matches_for(s, [invoice.id])}
    replaced = sorted({k for k in present | {str(r["kind"]) for r in rows} if _group(k) in wanted}
                      | wanted)  # fmt: skip
    changes: dict[str, Any] = {
        "kinds": replaced,
        "matches": rows,
        "match_band": outcome.invoice_changes.get("match_band"),
    }
    if VENDOR in wanted:
        changes["vendor_id"] = outcome.invoice_changes.get("vendor_id")
        changes["match_score"] = outcome.invoice_changes.get("match_score")
    if PURCHASE_ORDER in wanted:
        changes["purchase_order_id"] = outcome.invoice_changes.get("purchase_order_id")
    apply_change(
        s,
        invoice,
        action="match.rematched",
        changes=changes,
        meta={
            "why": why[:500],
            "trigger": trigger,
            "fields": sorted(fields),
            "profile_version": outcome.profile_version,
        },
    )
    if PURCHASE_ORDER in wanted:
        # The PO match's typed exceptions follow the new PO match (same transaction as the door).
        invoice_repo.record_exceptions(s, invoice.id, outcome.exceptions)
    log.info(
        "invoice re-matched",
        extra={"invoice_id": str(invoice.id), "kinds": replaced, "trigger": trigger},
    )
    return load_invoice(s, invoice.id)


def rematch_after_correction(s: Session, invoice_id: uuid.UUID, changed: Iterable[str]) -> None:
    """After a correction in this unit of work: re-match what the changed fields feed."""
    changed = sorted(changed)
    kinds = kinds_for(changed)
    if not kinds:
        return
    invoice = load_invoice(s, invoice_id)
    if kinds == {PURCHASE_ORDER} and "lines" in changed and not invoice.po_number:
        return  # lines only feed the purchase-order match, and there is no PO to match
    rematch_in(
        s,
        invoice,
        kinds=kinds,
        why=f"corrected {', '.join(changed)}",
        trigger="correction",
        fields=changed,
    )


def rematch_invoice(
    *,
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    expected_version: int,
    reason: str | None = None,
) -> Invoice:
    """Run every kind of matching again on an invoice under review (an operator's request)."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_editable(s, invoice_id, what="an invoice")
        if expected_version != invoice.version:
            raise Conflict(
                "the invoice was changed by someone else; reload and try again",
                expected_version=expected_version,
                current_version=invoice.version,
            )
        why = (reason or "").strip() or "re-match requested"
        return rematch_in(s, invoice, kinds=ALL_KINDS, why=why, trigger="request")
