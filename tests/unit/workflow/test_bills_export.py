"""Xero bill import CSV: template columns, one row per line, dates, net amounts, safe text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal
from pathlib import Path

from core.workflow.bills_export import XERO_BILL_COLUMNS, BillsOptions, to_xero_bills

REPO = Path(__file__).resolve().parents[3]
A, B = uuid.UUID(int=1), uuid.UUID(int=2)
INVOICES = [
    {
        "id": A,
        "vendor_name": "ACME Supplies Ltd",
        "matched_vendor_name": None,
        "vendor_vat_id": "GB123456789",
        "invoice_number": "INV-1001",
        "invoice_date": dt.date(2024, 3, 5),
        "due_date": dt.date(2024, 4, 4),
        "currency": "GBP",
        "subtotal": Decimal("150.00"),
        "tax": Decimal("30.00"),
        "total": Decimal("180.00"),
    },
    {
        "id": B,
        "vendor_name": '=HYPERLINK("http://x")',
        "matched_vendor_name": "Widget Works",
        "vendor_vat_id": None,
        "invoice_number": "77",
        "invoice_date": dt.date(2024, 3, 6),
        "due_date": None,
        "currency": "GBP",
        "subtotal": None,
        "tax": Decimal("2.00"),
        "total": Decimal("12.00"),
    },
]
LINES = [
    {
        "invoice_id": A,
        "line_no": 2,
        "description": "Delivery",
        "product_code": None,
        "quantity": None,
        "unit_price": None,
        "amount": Decimal("50.00"),
        "tax_rate": Decimal("20"),
    },
    {
        "invoice_id": A,
        "line_no": 1,
        "description": "Paper A4",
        "product_code": "PAP-A4",
        "quantity": Decimal("10"),
        "unit_price": Decimal("10.00"),
        "amount": Decimal("100.00"),
        "tax_rate": Decimal("20"),
    },
]


def _rows(data: bytes) -> list[dict[str, str]]:
    assert not data.startswith(b"\xef\xbb\xbf")  # no BOM: the first header stays *ContactName
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_header_is_xeros_bill_template_and_each_line_is_a_row() -> None:
    data = to_xero_bills(
        INVOICES, LINES, BillsOptions(account_code="400", tax_type="20% (VAT on Expenses)")
    )
    assert data.decode().splitlines()[0].split(",") == list(XERO_BILL_COLUMNS)
    rows = _rows(data)
    assert [(r["*InvoiceNumber"], r["Description"]) for r in rows] == [
        ("INV-1001", "Paper A4"),  # line order, not storage order
        ("INV-1001", "Delivery"),
        ("77", "Invoice 77"),  # no lines: one summary row
    ]
    first, delivery, summary = rows
    assert first["*ContactName"] == "ACME Supplies Ltd" and first["POCountry"] == "GB"
    assert (first["*InvoiceDate"], first["*DueDate"]) == ("05/03/2024", "04/04/2024")
    assert (first["*Quantity"], first["*UnitAmount"], first["TaxAmount"]) == (
        "10",
        "10.00",
        "20.00",
    )
    assert (first["InventoryItemCode"], first["Total"], first["Currency"]) == (
        "PAP-A4",
        "180.00",
        "GBP",
    )
    assert (first["*AccountCode"], first["*TaxType"]) == ("400", "20% (VAT on Expenses)")
    # A line without quantity and unit price: one unit of its amount.
    assert (delivery["*Quantity"], delivery["*UnitAmount"], delivery["TaxAmount"]) == (
        "1",
        "50.00",
        "10.00",
    )
    # The matched vendor's name wins over the printed one; no due date: the invoice date.
    assert summary["*ContactName"] == "Widget Works"
    assert summary["*DueDate"] == summary["*InvoiceDate"] == "06/03/2024"
    assert (summary["*UnitAmount"], summary["TaxAmount"]) == ("10.00", "2.00")  # net = total - tax


def test_us_dates_and_formula_text_stays_text() -> None:
    invoices = [{**INVOICES[1], "matched_vendor_name": None}]
    rows = _rows(to_xero_bills(invoices, [], BillsOptions(date_order="mdy")))
    assert rows[0]["*InvoiceDate"] == "03/06/2024"
    assert rows[0]["*ContactName"].startswith("'=")


def test_the_documented_sample_is_what_the_exporter_writes() -> None:
    """docs/integration.md shows this exact file; the doc and the code cannot drift apart."""
    sample = (REPO / "docs" / "samples" / "xero-bills.csv").read_bytes()
    expected = to_xero_bills(
        INVOICES[:1], LINES, BillsOptions(account_code="400", tax_type="20% (VAT on Expenses)")
    )
    assert sample.replace(b"\r\n", b"\n") == expected.replace(b"\r\n", b"\n")
