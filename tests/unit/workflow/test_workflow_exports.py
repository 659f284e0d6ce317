import csv
import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl

from core.workflow.exports import (
    INVOICE_COLUMNS,
    LINE_COLUMNS,
    ExportBundle,
    neutralise,
    render,
    to_csv,
    to_json,
    to_xlsx,
)


def _bundle() -> ExportBundle:
    return ExportBundle(
        invoices=[
            {
                "id": "inv-1",
                "vendor_name": '=HYPERLINK("http://evil","x")',
                "invoice_number": "+49-123",
                "invoice_date": dt.date(2024, 3, 31),
                "currency": "EUR",
                "total": Decimal("-1234.50"),
                "confidence": 0.87,
                "status": "approved",
                "approved_at": dt.datetime(2024, 4, 1, 12, 30, tzinfo=dt.timezone.utc),
            },
            {"id": "inv-2", "vendor_name": "@SUM(A1)", "invoice_number": "\tTAB", "total": None},
        ],
        lines=[
            {
                "invoice_id": "inv-1",
                "position": 1,
                "description": "-dash",
                "amount": Decimal("10.00"),
            }
        ],
        matches=[{"invoice_id": "inv-1", "kind": "vendor", "score": 0.93, "reason": "name 93"}],
    )


def test_neutralise_prefixes_only_formula_triggers():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("\rX") == "'\rX"
    assert neutralise("ACME GmbH") == "ACME GmbH"


def test_csv_reads_back_with_header_and_neutralised_text_but_numbers_kept():
    data = to_csv(_bundle().invoices, INVOICE_COLUMNS)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["Vendor"].startswith("'=HYPERLINK")
    assert rows[0]["Invoice number"] == "'+49-123"
    assert rows[0]["Total"] == "-1234.50"  # a typed negative amount is not text
    assert rows[0]["Invoice date"] == "2024-03-31"
    assert rows[1]["Vendor"] == "'@SUM(A1)" and rows[1]["Invoice number"] == "'\tTAB"
    assert rows[1]["Total"] == ""


def test_xlsx_has_three_sheets_bold_header_and_typed_cells():
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(_bundle())))
    assert wb.sheetnames == ["invoices", "lines", "matches", "exceptions"]
    ws = wb["invoices"]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in INVOICE_COLUMNS]
    assert ws["A1"].font.b is True
    assert ws.freeze_panes == "A2"
    col = {c.key: i + 1 for i, c in enumerate(INVOICE_COLUMNS)}
    total = ws.cell(2, col["total"])
    assert total.value == -1234.5 and total.number_format == "#,##0.00"
    date = ws.cell(2, col["invoice_date"])
    assert date.value == dt.datetime(2024, 3, 31) and date.number_format == "yyyy-mm-dd"
    assert ws.cell(2, col["confidence"]).number_format == "0.0%"
    vendor = ws.cell(2, col["vendor_name"])
    assert vendor.data_type == "s" and vendor.value.startswith("'=")
    assert ws.cell(2, col["approved_at"]).value == dt.datetime(2024, 4, 1, 12, 30)
    lines = wb["lines"]
    assert [c.value for c in lines[1]] == [c.header for c in LINE_COLUMNS]
    assert lines.cell(2, 4).value == "'-dash"
    assert wb["matches"].cell(2, 3).value == "vendor"


def test_json_keeps_raw_values_with_decimal_strings():
    doc = json.loads(to_json(_bundle()))
    assert doc["invoices"][0]["total"] == "-1234.50"
    assert doc["invoices"][0]["invoice_date"] == "2024-03-31"
    assert doc["invoices"][0]["vendor_name"].startswith("=HYPERLINK")
    assert len(doc["lines"]) == 1 and len(doc["matches"]) == 1


def test_render_csv_of_lines_sheet():
    text = render(_bundle(), "csv", sheet="lines").decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Invoice ID,Invoice number,Line")
