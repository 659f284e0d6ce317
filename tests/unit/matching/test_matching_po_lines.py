"""Line-level PO matching: what was billed before, derived prices, missing figures, stable codes."""

from __future__ import annotations

import pandas as pd
import pytest

from core.matching.exceptions import CODES, ExceptionCode, words
from core.matching.profile import MatchProfile
from core.matching.purchase_orders import match_purchase_orders

PO = pd.DataFrame([{"po_number": "PO-1", "vendor_id": "V1", "total": 100.0, "currency": "EUR"}])
PO_LINES = pd.DataFrame(
    {
        "po_number": ["PO-1", "PO-1"],
        "line_no": [1, 2],
        "product_code": ["A", "B"],
        "description": ["bolts", "nuts"],
        "quantity": [10, 10],
        "unit_price": [5.0, 5.0],
    }
)


def _invoice(total: float = 50.0, vendor: str = "V1") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "invoice_id": "I",
                "vendor_id": vendor,
                "po_number": "PO-1",
                "total": total,
                "currency": "EUR",
            }
        ]
    )


def _lines(*rows: tuple[str, object, object, object]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "invoice_id": "I",
                "line_no": n,
                "product_code": code,
                "quantity": q,
                "unit_price": p,
                "amount": a,
            }
            for n, (code, q, p, a) in enumerate(rows, start=1)
        ]
    )


def _run(lines: pd.DataFrame, profile: MatchProfile | None = None, **frames: pd.DataFrame):
    return match_purchase_orders(
        _invoice(), PO, profile, invoice_lines=lines, po_lines=PO_LINES, **frames
    )


def test_every_code_is_stable_scoped_and_has_words() -> None:
    assert len(set(CODES)) == len(CODES)
    for code in ExceptionCode:
        assert code.value.startswith(("po.", "line.")) and code.scope in ("po", "line")
        assert code.words and words(code.value) == code.words
    assert ExceptionCode("line.over_billed_quantity") is ExceptionCode.over_billed_quantity
    assert words("something.else") == "something.else"


def test_quantities_billed_on_earlier_invoices_count_against_order_and_receipts() -> None:
    receipts = pd.DataFrame({"po_number": ["PO-1"], "line_no": [1], "quantity_received": [8]})
    billed = pd.DataFrame({"po_number": ["PO 1"], "product_code": ["a"], "quantity": [7]})
    _, lines = _run(_lines(("A", 4, 5.0, 20.0)), receipts=receipts, billed_lines=billed)
    rows = {r.exception: r for r in lines.itertuples()}
    assert set(rows) == {"line.over_billed_quantity", "line.not_received"}
    assert rows["line.not_received"].billed_before == 7
    assert rows["line.not_received"].received == 8
    assert "billed 11 (7 billed before) but only 8 received" in rows["line.not_received"].reason
    assert "3 not received yet" in rows["line.not_received"].reason


def test_two_lines_of_one_invoice_on_the_same_po_line_add_up() -> None:
    _, lines = _run(_lines(("A", 6, 5.0, 30.0), ("A", 6, 5.0, 30.0)))
    assert [(r.line_no, r.exception, r.billed_before) for r in lines.itertuples()] == [
        (2, "line.over_billed_quantity", 6)
    ]


def test_quantity_tolerance_allows_a_little_more_than_ordered() -> None:
    lenient = MatchProfile(quantity_tolerance_pct=10.0)
    _, lines = _run(_lines(("A", 11, 5.0, 55.0)), lenient)
    assert lines.empty
    _, lines = _run(_lines(("A", 11.01, 5.0, 55.05)), lenient)
    assert lines["exception"].tolist() == ["line.over_billed_quantity"]


def test_unit_price_comes_from_the_amount_when_missing_and_missing_figures_are_exceptions() -> None:
    _, lines = _run(_lines(("A", 2, None, 10.0), ("B", None, 5.0, 5.0), ("B", 1, None, None)))
    assert [(r.line_no, r.exception) for r in lines.itertuples()] == [
        (2, "line.quantity_missing"),
        (3, "line.price_missing"),
    ]


def test_with_lines_a_partial_invoice_is_fine_but_more_than_the_po_is_not() -> None:
    partial, _ = _run(_lines(("A", 2, 5.0, 10.0)))
    assert partial.iloc[0]["status"] == "matched" and partial.iloc[0]["mode"] == "2-way"
    over, _ = match_purchase_orders(
        _invoice(total=102.0), PO, invoice_lines=_lines(("A", 2, 5.0, 10.0)), po_lines=PO_LINES
    )
    assert over.iloc[0]["exceptions"] == ["po.amount_variance"]
    (detail,) = over.iloc[0]["details"]
    assert detail["code"] == "po.amount_variance" and "102.00" in detail["reason"]
    header_only, _ = match_purchase_orders(_invoice(total=50.0), PO)
    assert header_only.iloc[0]["mode"] == "header"
    assert header_only.iloc[0]["exceptions"] == ["po.amount_variance"]  # must equal without lines


@pytest.mark.parametrize("vendor", ["", None])
def test_an_unknown_invoice_vendor_is_not_a_vendor_mismatch(vendor) -> None:
    headers, _ = match_purchase_orders(_invoice(total=100.0, vendor=vendor), PO)
    assert headers.iloc[0]["exceptions"] == []
    other, _ = match_purchase_orders(_invoice(total=100.0, vendor="V2"), PO)
    assert other.iloc[0]["exceptions"] == ["po.vendor_mismatch"]
