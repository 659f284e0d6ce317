"""Validation checks name themselves in warnings and move confidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.extraction.schema import Evidence, ExtractedField, Extraction, LineItem
from core.extraction.validation import validate, vat_shape_ok


def _f(value: object, conf: float = 0.7) -> ExtractedField:  # type: ignore[type-arg]
    return ExtractedField(value=value, confidence=conf, evidence=Evidence(page=1, text=str(value)))


def _base(**over: object) -> Extraction:
    ex = Extraction(
        vendor_name=_f("ACME GmbH"),
        customer_name=_f("Buyer AG"),
        currency=_f("EUR"),
        subtotal=_f(Decimal("100.00")),
        tax=_f(Decimal("19.00")),
        total=_f(Decimal("119.00")),
        invoice_date=_f(dt.date(2024, 3, 1)),
        due_date=_f(dt.date(2024, 3, 31)),
        line_items=[
            LineItem(
                quantity=Decimal(2),
                unit_price=Decimal("30.00"),
                amount=Decimal("60.00"),
                confidence=0.6,
            ),
            LineItem(
                quantity=Decimal(1),
                unit_price=Decimal("40.00"),
                amount=Decimal("40.00"),
                confidence=0.6,
            ),
        ],
        source="text_layer",
    )
    for k, v in over.items():
        setattr(ex, k, v)
    return ex


TEXT = "ACME GmbH Invoice total 119,00 EUR"


def test_a_consistent_invoice_passes_and_gains_confidence() -> None:
    ex = validate(_base(), TEXT)
    assert ex.warnings == []
    assert ex.total.confidence > 0.7 and ex.subtotal.confidence > 0.7
    assert all(li.confidence > 0.6 for li in ex.line_items)


def test_validate_with_copy_does_not_mutate_its_input() -> None:
    original = _base(total=_f(Decimal("120.00")))
    checked = validate(original, TEXT, copy=True)
    assert original.warnings == [] and original.total.confidence == 0.7
    assert checked.warnings and checked is not original


def test_totals_that_do_not_add_up_are_named_and_lowered() -> None:
    ex = validate(_base(total=_f(Decimal("120.00"))), TEXT)
    assert any(w.startswith("totals_mismatch") for w in ex.warnings)
    assert ex.total.confidence < 0.7


def test_line_arithmetic_and_line_sum() -> None:
    bad = [
        LineItem(
            quantity=Decimal(2),
            unit_price=Decimal("30.00"),
            amount=Decimal("70.00"),
            confidence=0.6,
        )
    ]
    ex = validate(_base(line_items=bad), TEXT)
    assert any(w.startswith("line_arithmetic: line 1") for w in ex.warnings)
    assert any(w.startswith("line_sum_mismatch") for w in ex.warnings)
    assert ex.line_items[0].confidence < 0.6


def test_due_date_before_invoice_date() -> None:
    ex = validate(_base(due_date=_f(dt.date(2024, 2, 1))), TEXT)
    assert any(w.startswith("due_before_invoice_date") for w in ex.warnings)
    assert ex.due_date.confidence < 0.7


def test_iban_checksum() -> None:
    good = validate(_base(vendor_iban=_f("DE89370400440532013000")), TEXT)
    bad = validate(_base(vendor_iban=_f("DE89370400440532013001")), TEXT)
    assert not any(w.startswith("iban_checksum") for w in good.warnings)
    assert any(w.startswith("iban_checksum") for w in bad.warnings)
    assert bad.vendor_iban.confidence < good.vendor_iban.confidence


def test_vat_id_shape_per_country() -> None:
    assert (
        vat_shape_ok("DE123456789")
        and vat_shape_ok("FR11999999998")
        and vat_shape_ok("ATU12345678")
    )
    assert vat_shape_ok("NL123456789B01") and vat_shape_ok("GB123456789")
    assert not vat_shape_ok("DE12345") and not vat_shape_ok("ATX2345678") and not vat_shape_ok("12")
    ex = validate(_base(vendor_vat_id=_f("DE12345")), TEXT)
    assert any(w.startswith("vat_id_shape: vendor_vat_id") for w in ex.warnings)


def test_vendor_equal_to_customer_is_flagged() -> None:
    ex = validate(_base(customer_name=_f("ACME  GmbH")), TEXT)
    assert any(w.startswith("vendor_equals_customer") for w in ex.warnings)
    assert ex.customer_name.confidence < 0.7


def test_currency_without_evidence_and_missing_currency() -> None:
    ex = validate(_base(currency=_f("USD")), TEXT)
    assert any(w.startswith("currency_not_in_text: USD") for w in ex.warnings)
    missing = validate(_base(currency=ExtractedField()), TEXT)
    assert any(w.startswith("currency_missing") for w in missing.warnings)
    assert missing.currency.value is None
