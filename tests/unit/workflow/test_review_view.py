"""The reviewer's screen rules (core.workflow.review_view): flags, money, sources, what's next."""

from __future__ import annotations

import uuid
from decimal import Decimal

from core.db.records import ApprovalReason
from core.workflow import review_view as rv

NAMES = ["vendor_name", "vendor_iban", "vendor_vat_id", "line_total", "subtotal", "total"]


def _reason(code, fields):
    return ApprovalReason(code=code, message="m", fields=tuple(fields), detail={}, blocking=True)


def test_absent_optional_fields_are_not_flagged_but_missing_required_ones_are() -> None:
    evidence = {
        "vendor_iban": {"confidence": 0.0, "evidence": None},
        "vendor_vat_id": {"confidence": 0.0},
        "vendor_name": {"confidence": 0.0},
    }
    views = {v.name: v for v in rv.field_views(NAMES, {"total": Decimal("1")}, evidence)}
    assert views["vendor_iban"].flag == "" and views["vendor_vat_id"].flag == ""
    assert views["vendor_iban"].confidence is None  # never "0% confidence"
    assert views["vendor_name"].flag == "missing"


def test_failed_checks_flag_the_fields_they_name_and_low_confidence_is_flagged() -> None:
    values = {"vendor_name": "ACME", "line_total": Decimal("10379.92"), "subtotal": Decimal("1")}
    evidence = {
        "vendor_name": {
            "confidence": 0.4,
            "evidence": {"page": 1, "text": "ACME", "bbox": [1, 2, 3, 4]},
        },
        "line_total": {"confidence": 0.9, "evidence": {"page": 2, "text": "10379.92"}},
    }  # fmt: skip
    reasons = [_reason("check.line_sum_mismatch", ["line_total", "lines"])]
    views = {v.name: v for v in rv.field_views(NAMES, values, evidence, reasons)}
    assert views["line_total"].flag == "failed check: line sum mismatch"
    assert views["line_total"].text == "10379.92"
    assert views["line_total"].source == rv.Source(page=2, bbox=None, text="10379.92")
    assert views["vendor_name"].flag == "low confidence (40%)"
    assert views["vendor_name"].source.bbox == (1.0, 2.0, 3.0, 4.0)


def test_money_shows_two_decimals_and_reformatting_is_not_a_change() -> None:
    assert rv.money(Decimal("1234.5000"), "EUR") == "1234.50 EUR"
    assert rv.money(None) == "" and rv.as_text("total", Decimal("7")) == "7.00"
    views = rv.field_views(["total", "vendor_name"], {"total": Decimal("119.0000")}, {})
    assert rv.changed_fields(views, {"total": "119", "vendor_name": ""}) == {}
    assert rv.changed_fields(views, {"total": "120"}) == {"total": "120"}


def test_empty_line_cells_are_blank_and_next_moves_on() -> None:
    rows = rv.line_rows(
        [{"description": None, "amount": Decimal("5.0000"), "unit": None,
          "quantity": Decimal("12.0000"), "tax_rate": Decimal("8.875")}],
        ["description", "unit", "quantity", "amount", "tax_rate", "allowance"],
    )  # fmt: skip
    assert rows == [
        {"description": "", "unit": "", "quantity": "12", "amount": "5.00", "tax_rate": "8.875",
         "allowance": ""}
    ]  # fmt: skip
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert rv.next_after([a, b, c], b) == c
    assert rv.next_after([a, b, c], c) == b
    assert rv.next_after([a], a) is None


def test_a_value_a_person_corrected_is_not_flagged_for_its_reading_confidence() -> None:
    evidence = {"po_number": {"confidence": 0.0, "value": None, "evidence": None}}
    (view,) = rv.field_views(["po_number"], {"po_number": "PO-4711"}, evidence)
    assert view.flag == "" and view.confidence is None and view.source is None
