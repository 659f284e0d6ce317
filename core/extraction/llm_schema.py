"""The LLM-facing response schema and its conversion to the canonical ``Extraction``.

The model answers in plain strings (value + the evidence text it read it from + page), because
strict structured outputs have no Decimal or date type and because evidence is what grounding
checks. ``to_extraction`` parses the strings, grounds every value against the document text and
turns the outcome into confidence and warnings.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.extraction.grounding import FOUND, GROUNDED, NO_TEXT, DocumentText, ground
from core.extraction.parsing import ISO_CURRENCIES, parse_amount, parse_currency, parse_date
from core.extraction.schema import (
    AMOUNT_FIELDS,
    DATE_FIELDS,
    DocumentType,
    Evidence,
    ExtractedField,
    Extraction,
    LineItem,
    TaxLine,
)

# Confidence per grounding outcome; validation adjusts it further.
CONFIDENCE = {GROUNDED: 0.9, FOUND: 0.7, NO_TEXT: 0.5}
UNGROUNDED_CONFIDENCE = 0.15
# Canonical fields the model is not asked for (e-invoice codes, derived sums).
NOT_ASKED = frozenset({"document_type_code", "line_total"})


class LLMField(BaseModel):
    """One header value as the model reports it."""

    model_config = ConfigDict(extra="forbid")

    value: str | None = Field(description="normalised value, or null when not printed")
    evidence: str | None = Field(description="exact document text that shows the value")
    page: int | None = Field(description="1-based page number of the evidence")


class LLMLineItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None
    product_code: str | None
    quantity: str | None
    unit: str | None
    unit_price: str | None
    tax_rate: str | None = Field(description="percent, e.g. 19 or 5.5")
    amount: str | None
    evidence: str | None = Field(description="the printed row text")
    page: int | None


class LLMTaxLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: str | None
    base: str | None
    amount: str | None


class LLMInvoice(BaseModel):
    """What the model must return (strict JSON schema: every key present, nulls allowed)."""

    model_config = ConfigDict(extra="forbid")

    vendor_name: LLMField
    vendor_address: LLMField
    vendor_vat_id: LLMField
    vendor_iban: LLMField
    customer_name: LLMField
    customer_vat_id: LLMField
    invoice_number: LLMField
    po_number: LLMField
    document_type: LLMField
    invoice_date: LLMField
    due_date: LLMField
    payment_terms: LLMField
    currency: LLMField
    subtotal: LLMField
    tax: LLMField
    total: LLMField
    amount_due: LLMField
    tax_breakdown: list[LLMTaxLine]
    line_items: list[LLMLineItem]


def _decimal(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    compact = text.strip().replace(" ", "")
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", compact):
        try:
            return Decimal(compact)
        except InvalidOperation:
            return None
    return parse_amount(text)  # the model printed it locale-style after all


def _date(text: str | None) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        parsed = parse_date(text)
        return parsed.value if parsed else None


def _currency(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    code = text.strip().upper()
    return code if code in ISO_CURRENCIES else parse_currency(text)


def _doc_type(text: str | None) -> DocumentType | None:
    norm = (text or "").strip().lower().replace(" ", "_").replace("-", "_")
    return {"invoice": DocumentType.invoice, "credit_note": DocumentType.credit_note}.get(norm)


def _convert(name: str, raw: str | None) -> tuple[Any, str]:
    """The canonical value of field ``name`` and the grounding kind to check it with."""
    if name in AMOUNT_FIELDS:
        return _decimal(raw), "amount"
    if name in DATE_FIELDS:
        return _date(raw), "date"
    if name == "currency":
        return _currency(raw), "currency"
    if name == "document_type":
        return _doc_type(raw), "enum"
    return (raw.strip() or None) if raw else None, "text"


def to_extraction(answer: LLMInvoice, doc: DocumentText) -> Extraction:
    """Canonical extraction from the model's answer, every value grounded in ``doc``."""
    ex = Extraction()
    for name in LLMInvoice.model_fields:
        if name in ("tax_breakdown", "line_items"):
            continue
        field: LLMField = getattr(answer, name)
        value, kind = _convert(name, field.value)
        if value is None:
            if field.value not in (None, ""):
                ex.warnings.append(f"unparseable:{name}")
            continue
        outcome = ground(kind, value, field.evidence, doc)
        confidence = CONFIDENCE.get(outcome, UNGROUNDED_CONFIDENCE)
        if outcome not in (GROUNDED, FOUND, NO_TEXT):
            ex.warnings.append(f"ungrounded:{name}")
        evidence = Evidence(page=field.page, text=(field.evidence or "")[:500])
        setattr(ex, name, ExtractedField(value=value, confidence=confidence, evidence=evidence))
    ex.tax_breakdown = [
        TaxLine(rate=_decimal(t.rate), base=_decimal(t.base), amount=_decimal(t.amount))
        for t in answer.tax_breakdown
    ]
    _accept_derived_totals(ex, doc)
    ungrounded_lines = 0
    for row in answer.line_items:
        item = LineItem(
            description=(row.description or "").strip() or None,
            product_code=(row.product_code or "").strip() or None,
            quantity=_decimal(row.quantity),
            unit=(row.unit or "").strip() or None,
            unit_price=_decimal(row.unit_price),
            tax_rate=_decimal(row.tax_rate),
            amount=_decimal(row.amount),
            evidence=Evidence(page=row.page, text=(row.evidence or "")[:500]),
        )
        checks = [ground("text", item.description, row.evidence, doc)]
        if item.amount is not None:
            checks.append(ground("amount", item.amount, row.evidence, doc))
        if NO_TEXT in checks:
            item.confidence = CONFIDENCE[NO_TEXT]
        elif all(c in (GROUNDED, FOUND) for c in checks):
            item.confidence = CONFIDENCE[GROUNDED] if GROUNDED in checks else CONFIDENCE[FOUND]
        else:
            item.confidence, ungrounded_lines = UNGROUNDED_CONFIDENCE, ungrounded_lines + 1
        ex.line_items.append(item)
    if ungrounded_lines:
        ex.warnings.append(f"ungrounded:line_items:{ungrounded_lines}")
    if doc.empty:
        ex.warnings.append("grounding_unavailable:no_document_text")
    return ex


def _accept_derived_totals(ex: Extraction, doc: DocumentText) -> None:
    """A total the page does not print but that follows from printed ones is not invented.

    Invoices with several VAT rates often print each rate's tax and no tax total; the model's
    sum is then right, though ungrounded. It counts as found (0.7) when it equals total minus
    subtotal (both on the page) or the sum of the printed per-rate amounts; same for the others.
    """
    trusted = {
        n: ex.field(n).value
        for n in ("subtotal", "tax", "total")
        if ex.field(n).present and ex.field(n).confidence > UNGROUNDED_CONFIDENCE
    }
    rate_amounts = [t.amount for t in ex.tax_breakdown if t.amount is not None]
    for name in ("subtotal", "tax", "total"):
        field = ex.field(name)
        if not field.present or f"ungrounded:{name}" not in ex.warnings:
            continue
        sub, tax, total = (trusted.get(n) for n in ("subtotal", "tax", "total"))
        derivations = {
            "tax": [total - sub if total is not None and sub is not None else None],
            "subtotal": [total - tax if total is not None and tax is not None else None],
            "total": [sub + tax if sub is not None and tax is not None else None],
        }[name]
        if name == "tax" and rate_amounts and all(doc.shows_amount(abs(a)) for a in rate_amounts):
            derivations.append(sum(rate_amounts, Decimal("0")))
        if field.value in [d for d in derivations if d is not None]:
            field.confidence = CONFIDENCE[FOUND]
            ex.warnings.remove(f"ungrounded:{name}")
            ex.warnings.append(f"derived:{name}")
