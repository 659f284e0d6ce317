"""What the worker stores of an extraction's line items (core/workflow/processing._lines): a value
the line table cannot hold is not stored, instead of failing the invoice's processing.

Found by the STP bench's harsh stream: OCR glued a line's tax rate to its amount ("19241,88%"),
the rate read as 19241.88, and invoice_lines.tax_rate (numeric(7, 4)) refused it, so the
worker's transaction failed and the invoice never left processing."""

from __future__ import annotations

from decimal import Decimal

from core.extraction.layout import Word
from core.extraction.line_items import _numbers
from core.extraction.schema import Extraction, LineItem
from core.workflow.processing import _lines


def test_a_tax_rate_is_a_percentage_and_absurd_numbers_are_not_stored() -> None:
    ex = Extraction(
        line_items=[
            LineItem(description="Widget", quantity=Decimal("2"), unit_price=Decimal("10.00"),
                     amount=Decimal("20.00"), tax_rate=Decimal("19241.88")),
            LineItem(description="Bolt", quantity=Decimal("1"), unit_price=Decimal("5.00"),
                     amount=Decimal("5.00"), tax_rate=Decimal("19")),
            LineItem(description="Noise", amount=Decimal("1" + "0" * 15), tax_rate=Decimal("-7")),
        ]
    )  # fmt: skip
    rows = _lines(ex)
    assert [r["tax_rate"] for r in rows] == [None, Decimal("19"), None]
    assert rows[0]["amount"] == Decimal("20.00") and rows[0]["quantity"] == Decimal("2")
    assert rows[2]["amount"] is None
    assert [r["line_no"] for r in rows] == [1, 2, 3]  # every line kept, in order


def _words(*texts: str) -> list[Word]:
    return [Word(t, 10.0 * i, 0.0, 10.0 * i + 8, 8.0) for i, t in enumerate(texts)]


def test_a_glued_rate_and_amount_is_no_tax_rate() -> None:
    _, rate = _numbers(_words("Widget", "2", "10,00", "19241,88%"), ",")
    assert rate is None
    _, rate = _numbers(_words("Widget", "2", "10,00", "19%", "20,00"), ",")
    assert rate == Decimal("19")
