"""Header rows of column titles with their values underneath (issue 14: PO numbers and line
totals misread on text PDFs reset vendors' trust ladders).

Two ways invoices are printed that the offline rules misread:

* a row of titles ("Invoice Number  Invoice Date  Due  Your order no.  Currency") over a row of
  values, where two values stand close enough to form one run of words ("30 October 2024 06
  November 2024", "06 November 2024 PO-00361"): each field is the value in its own column, not
  the first date or number of the run (a stream invoice read "06" as its PO number);
* a line-item table whose "Line Total" column continues into the totals block under it ("Total
  excl. VAT", "Tax", "Total", right-aligned in the same column): the line total is the sum of the
  item rows, not of the totals block as well.
"""

from __future__ import annotations

from decimal import Decimal

from tests.unit.extraction.docgen import extract, text_pdf

HEADER = [
    (20, "Invoice Number", 9),
    (55, "Invoice Date", 9),
    (86, "Due", 9),
    (122, "Your order no.", 9),
    (160, "Currency", 9),
]


def _invoice(due: str, po: str) -> bytes:
    rows = [
        [(20, "Bluepeak Consulting Ltd", 14), (165, "Invoice", 14)],
        [(20, "59 Elm Street, Cork T12 RX00", 9)],
        [],
        HEADER,
        [
            (20, "INV-2024-3251", 9),
            (55, "30 October 2024", 9),
            (86, due, 9),
            (122, po, 9),
            (160, "EUR", 9),
        ],
        [],
        [(20, "Customer", 9)],
        [(20, "Silverline Logistics plc", 9)],
        [],
        [
            (20, "No.", 8),
            (30, "Item", 8),
            (120, "Quantity", 8),
            (140, "Price", 8),
            (170, "Line Total", 8),
        ],
        [
            (20, "1", 8),
            (30, "USB-C docking station", 8),
            (125, "12", 8),
            (140, "193.41", 8),
            (172, "2,320.92", 8),
        ],
        [(120, "Total excl. VAT", 8), (172, "2,320.92", 8)],
        [(120, "Sales tax 23%", 8), (175, "533.81", 8)],
        [(120, "Total", 8), (172, "2,854.73", 8)],
    ]
    return text_pdf([rows], line_mm=5.0)


def test_a_value_is_read_from_its_own_column_when_two_values_run_together() -> None:
    ex = extract(_invoice("06 November 2024", "PO-00361"))
    assert ex.po_number.value == "PO-00361"
    assert ex.invoice_number.value == "INV-2024-3251"
    assert str(ex.due_date.value) == "2024-11-06"


def test_the_totals_block_under_a_line_total_column_is_not_summed_into_the_lines() -> None:
    ex = extract(_invoice("06 November 2024", "PO-00361"))
    assert ex.line_total.value == Decimal("2320.92")
    assert ex.subtotal.value == Decimal("2320.92")
    assert ex.total.value == Decimal("2854.73")
    assert not [w for w in ex.warnings if w.startswith("line_sum_mismatch")]
