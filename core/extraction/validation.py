"""Validation turned into confidence: arithmetic, dates, identifiers, parties and currency.

``validate`` runs on every result whatever extractor produced it. A check that passes raises
the confidence of the fields it involves (they corroborate each other); a check that fails
lowers it and names itself in ``warnings`` (``<check>: <detail>``), so review can show why.
"""

from __future__ import annotations

import re
from decimal import Decimal

from stdnum import iban as std_iban

from core.extraction.identifiers import national_id_ok
from core.extraction.labels import fold
from core.extraction.line_items import ROW_UNVERIFIED
from core.extraction.parsing import CURRENCY_SYMBOLS, find_currencies
from core.extraction.schema import ExtractedField, Extraction

CENT = Decimal("0.01")
# VAT identifier shapes per country prefix (EU member states, UK, Switzerland, Norway).
VAT_SHAPES: dict[str, str] = {
    "AT": r"U\d{8}", "BE": r"[01]\d{9}", "BG": r"\d{9,10}", "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}", "DE": r"\d{9}", "DK": r"\d{8}", "EE": r"\d{9}", "EL": r"\d{9}",
    "GR": r"\d{9}", "ES": r"[0-9A-Z]\d{7}[0-9A-Z]", "FI": r"\d{8}", "FR": r"[0-9A-Z]{2}\d{9}",
    "HR": r"\d{11}", "HU": r"\d{8}", "IE": r"\d[0-9A-Z+*]\d{5}[A-Z]{1,2}", "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}", "LU": r"\d{8}", "LV": r"\d{11}", "MT": r"\d{8}", "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}", "PT": r"\d{9}", "RO": r"\d{2,10}", "SE": r"\d{12}", "SI": r"\d{8}",
    "SK": r"\d{10}", "XI": r"\d{9}|\d{12}", "GB": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "CH": r"E\d{9}(?:MWST|TVA|IVA)?", "NO": r"\d{9}(?:MVA)?",
}  # fmt: skip


def _scale(field: ExtractedField, factor: float) -> None:  # type: ignore[type-arg]
    if field.present:
        field.confidence = round(max(0.0, min(1.0, field.confidence * factor)), 3)


def _boost(field: ExtractedField) -> None:  # type: ignore[type-arg]
    if field.present:
        field.confidence = round(min(1.0, field.confidence + (1.0 - field.confidence) * 0.4), 3)


def vat_shape_ok(vat_id: str) -> bool:
    """Whether ``vat_id`` has the shape its country prefix requires (unknown prefixes pass)."""
    value = re.sub(r"[\s.\-]", "", vat_id).upper()
    shape = VAT_SHAPES.get(value[:2])
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z+*]{2,14}", value):
        return False
    return shape is None or re.fullmatch(shape, value[2:]) is not None


def _check_totals(ex: Extraction) -> None:
    s, t, g = ex.subtotal.value, ex.tax.value, ex.total.value
    if s is not None and t is not None and g is not None:
        if abs(s + t - g) <= CENT:
            for f in (ex.subtotal, ex.tax, ex.total):
                _boost(f)
        else:
            ex.warnings.append(f"totals_mismatch: {s} + {t} != {g}")
            for f in (ex.subtotal, ex.tax, ex.total):
                _scale(f, 0.6)


def _check_lines(ex: Extraction) -> None:
    amounts = [li.amount for li in ex.line_items]
    for i, li in enumerate(ex.line_items, start=1):
        if li.quantity is None or li.unit_price is None or li.amount is None:
            continue
        tolerance = max(CENT, abs(li.quantity) * Decimal("0.00005"))
        # Line allowances and charges are part of the line's net amount (EN 16931 BT-131).
        adjust = (li.charge or Decimal(0)) - (li.allowance or Decimal(0))
        if abs(li.quantity * li.unit_price + adjust - li.amount) > tolerance:
            shown = f" {'+' if adjust > 0 else '-'} {abs(adjust)}" if adjust else ""
            ex.warnings.append(
                f"line_arithmetic: line {i}: {li.quantity} x {li.unit_price}{shown} != {li.amount}"
            )
            li.confidence = round(li.confidence * 0.5, 3)
    if not amounts or any(a is None for a in amounts):
        return
    total = sum((a for a in amounts if a is not None), Decimal(0))
    target = ex.line_total if ex.line_total.present else ex.subtotal
    if target.value is None:
        return
    if abs(total - target.value) <= CENT:
        _boost(target)
        for li in ex.line_items:
            if li.evidence is not None and ROW_UNVERIFIED in li.evidence.signals:
                continue  # the sum agrees, but the row's own arithmetic was never checked
            li.confidence = round(min(1.0, li.confidence + (1 - li.confidence) * 0.4), 3)
    else:
        ex.warnings.append(f"line_sum_mismatch: lines sum to {total}, document says {target.value}")
        _scale(target, 0.85)
        for li in ex.line_items:
            li.confidence = round(li.confidence * 0.7, 3)


def _check_dates(ex: Extraction) -> None:
    inv, due = ex.invoice_date.value, ex.due_date.value
    if inv is not None and due is not None and due < inv:
        ex.warnings.append(f"due_before_invoice_date: {due} < {inv}")
        _scale(ex.due_date, 0.5)


def _check_ids(ex: Extraction) -> None:
    iban = ex.vendor_iban.value
    if iban and not std_iban.is_valid(iban):
        ex.warnings.append(f"iban_checksum: {iban}")
        _scale(ex.vendor_iban, 0.3)
    for name in ("vendor_vat_id", "customer_vat_id"):
        field = ex.field(name)
        if (
            field.present
            and not vat_shape_ok(str(field.value))
            and not national_id_ok(str(field.value))
        ):
            ex.warnings.append(f"vat_id_shape: {name} {field.value}")
            _scale(field, 0.4)
    if ex.vendor_vat_id.present and ex.vendor_vat_id.value == ex.customer_vat_id.value:
        ex.warnings.append("vendor_equals_customer: same VAT id")
        _scale(ex.customer_vat_id, 0.3)


def _check_parties(ex: Extraction) -> None:
    v, c = ex.vendor_name.value, ex.customer_name.value
    if v and c and re.sub(r"\W", "", fold(v)) == re.sub(r"\W", "", fold(c)):
        ex.warnings.append(f"vendor_equals_customer: {v}")
        _scale(ex.vendor_name, 0.5)
        _scale(ex.customer_name, 0.4)


def _check_currency(ex: Extraction, text: str) -> None:
    code = ex.currency.value
    if not code:
        ex.warnings.append("currency_missing: no currency shown on the document")
        return
    if ex.source == "einvoice_xml" or not text:
        return
    symbols = [sym for sym, iso in CURRENCY_SYMBOLS if iso == code]
    local = code in find_currencies(text, ex.country.value) if ex.country.present else False
    if (
        not local
        and not re.search(rf"(?<![A-Za-z]){code}(?![A-Za-z])", text)
        and not any(s in text for s in symbols)
    ):
        ex.warnings.append(f"currency_not_in_text: {code}")
        _scale(ex.currency, 0.5)


def validate(extraction: Extraction, document_text: str, *, copy: bool = False) -> Extraction:
    """Run every check and return the extraction with adjusted confidence and warnings.

    The extraction is adjusted in place (a deep copy costs more than the checks) unless
    ``copy`` is set."""
    ex = extraction.model_copy(deep=True) if copy else extraction
    _check_totals(ex)
    _check_lines(ex)
    _check_dates(ex)
    _check_ids(ex)
    _check_parties(ex)
    _check_currency(ex, document_text)
    return ex
