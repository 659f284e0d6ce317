"""Issue 16's done-when: an invoice processed against a PO with partial receipts shows each line
exception in the API and in the exports (XLSX, CSV, JSON), through HTTP, with a real worker."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest

from core.workflow.einvoice_export import to_ubl
from core.workflow.einvoice_model import from_invoice
from tests.e2e.api.conftest import sign_up, wait_for_batch

pytestmark = pytest.mark.slow

VENDORS = b"vendor_code,name,vat_id\nV1,Schrauben Keller GmbH,DE811907980\n"
POS = (
    b"po_number,vendor,currency,line_no,description,product_code,quantity,unit_price,amount\n"
    b"PO-4711,V1,EUR,1,Hex bolts M8,SKU-1,10,2.50,25.00\n"
    b"PO-4711,V1,EUR,2,Nuts M8,SKU-2,4,1.00,4.00\n"
    b"PO-4711,V1,EUR,3,Washers M8,SKU-3,20,0.10,2.00\n"
)
# Two deliveries so far: 6 of the 10 bolts, all nuts, all washers.
RECEIPTS = (
    b"receipt_number,po_number,line_no,quantity\n"
    b"GR-100,PO-4711,1,4\nGR-100,PO-4711,2,4\nGR-101,PO-4711,1,2\nGR-101,PO-4711,3,20\n"
)
LINES = [  # code, description, quantity, unit price
    ("SKU-1", "Hex bolts M8", "10", "2.50"),  # 10 billed, 6 received
    ("SKU-2", "Nuts M8", "4", "1.10"),  # 10% over the PO price
    ("SKU-3", "Washers M8", "25", "0.10"),  # 20 ordered and received
    ("SKU-9", "Cable ties", "1", "3.00"),  # on no PO line
]
EXPECTED = {
    (None, "po.amount_variance"),
    (1, "line.not_received"),
    (2, "line.price_variance"),
    (3, "line.over_billed_quantity"),
    (3, "line.not_received"),
    (4, "line.no_po_line"),
}


def _ubl() -> bytes:
    lines = [
        {
            "line_no": n,
            "product_code": code,
            "description": text,
            "quantity": Decimal(qty),
            "unit_price": Decimal(price),
            "amount": Decimal(qty) * Decimal(price),
            "tax_rate": Decimal("19"),
        }
        for n, (code, text, qty, price) in enumerate(LINES, start=1)
    ]
    basis = sum((line["amount"] for line in lines), Decimal("0"))
    tax = (basis * Decimal("0.19")).quantize(Decimal("0.01"))
    invoice = {
        "invoice_number": "RE-2026-0815",
        "invoice_date": __import__("datetime").date(2026, 12, 1),
        "currency": "EUR",
        "vendor_name": "Schrauben Keller GmbH",
        "vendor_vat_id": "DE811907980",
        "customer_name": "Buyer AG",
        "po_number": "PO-4711",
        "subtotal": basis,
        "tax": tax,
        "total": basis + tax,
    }
    return to_ubl(from_invoice(invoice, lines))


def _import(http, headers, cid, kind, data):
    r = http.post(
        f"/clients/{cid}/reference/{kind}",
        files={"file": (f"{kind}.csv", data, "text/csv")},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["errors"] == [], r.text


def test_partial_receipts_show_each_line_exception_in_the_api_and_the_exports(http, worker):
    headers = sign_up(http)
    cid = http.post("/clients", json={"name": "3-way Buyer AG"}, headers=headers).json()["id"]
    for kind, data in (
        ("vendors", VENDORS),
        ("purchase_orders", POS),
        ("goods_receipts", RECEIPTS),
    ):
        _import(http, headers, cid, kind, data)

    up = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", ("re-2026-0815.xml", _ubl(), "application/xml"))],
        headers=headers,
    ).json()
    assert up["accepted"] == 1, up
    wait_for_batch(http, headers, up["batch_id"])
    inv_id = up["files"][0]["invoice_id"]

    # The API: the invoice detail and its own exceptions resource, typed codes and plain words.
    detail = http.get(f"/invoices/{inv_id}", headers=headers).json()
    assert detail["status"] == "needs_review", detail
    assert detail["po_number"] == "PO-4711" and detail["purchase_order_id"]
    assert {(x["line_no"], x["code"]) for x in detail["exceptions"]} == EXPECTED
    listed = http.get(f"/invoices/{inv_id}/exceptions", headers=headers).json()
    assert listed["count"] == len(EXPECTED)
    assert [x["id"] for x in listed["data"]] == [x["id"] for x in detail["exceptions"]]
    by = {(x["line_no"], x["code"]): x for x in listed["data"]}
    bolts = by[(1, "line.not_received")]
    assert bolts["words"] == "more is billed than has been received"
    assert Decimal(bolts["quantity"]) == 10 and Decimal(bolts["received_quantity"]) == 6
    assert bolts["mode"] == "3-way" and bolts["po_number"] == "PO-4711" and bolts["po_line_no"] == 1
    assert "4 not received yet" in bolts["reason"]
    assert Decimal(by[(2, "line.price_variance")]["po_unit_price"]) == Decimal("1")
    po_match = next(
        m
        for m in http.get(f"/invoices/{inv_id}/matches", headers=headers).json()["data"]
        if m["kind"] == "purchase_order"
    )
    assert po_match["band"] == "review" and "line exception" in po_match["reason"]

    # The default approval policy blocks on line.* exceptions: the owner overrides, with a reason.
    url = f"/invoices/{inv_id}"
    tagged = {**headers, "If-Match": http.get(url, headers=headers).headers["etag"]}
    r = http.post(f"{url}/approve", headers=tagged)
    assert r.status_code == 409 and "line." in r.text, r.text
    r = http.post(f"{url}/approve", json={"override_reason": "partial delivery"}, headers=tagged)
    assert r.status_code == 200, r.text

    # The exports: an exceptions sheet, the words on each line, the codes on the invoice.
    r = http.get(
        "/exports",
        params={"client_id": cid, "format": "xlsx", "mark_exported": "false"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["invoices", "lines", "matches", "exceptions"]
    sheet = list(wb["exceptions"].iter_rows(values_only=True))
    head = sheet[0]
    rows = [dict(zip(head, row, strict=True)) for row in sheet[1:]]
    assert {(row["Line"], row["Code"]) for row in rows} == EXPECTED
    not_received = next(
        row for row in rows if (row["Line"], row["Code"]) == (1, "line.not_received")
    )
    assert not_received["Exception"] == "more is billed than has been received"
    assert (not_received["Billed quantity"], not_received["Received"]) == (10, 6)
    lines = list(wb["lines"].iter_rows(values_only=True))
    words = {row[lines[0].index("Line")]: row[lines[0].index("Exceptions")] for row in lines[1:]}
    assert words[1].startswith("more is billed than has been received: billed 10")
    assert "the unit price differs" in words[2]
    assert "more is billed than was ordered" in words[3] and "has been received" in words[3]
    assert words[4].startswith("no purchase order line matches this line")
    invoices_sheet = list(wb["invoices"].iter_rows(values_only=True))
    codes = invoices_sheet[1][invoices_sheet[0].index("PO exceptions")]
    assert codes == ", ".join(sorted({code for _, code in EXPECTED}))

    r = http.get(
        "/exports",
        params={"client_id": cid, "format": "csv", "sheet": "exceptions", "mark_exported": "false"},
        headers=headers,
    )
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {(int(row["Line"]) if row["Line"] else None, row["Code"]) for row in table} == EXPECTED
    assert all(row["Exception"] and row["Details"] for row in table)

    doc = json.loads(
        http.get(
            "/exports",
            params={"client_id": cid, "format": "json", "mark_exported": "false"},
            headers=headers,
        ).content
    )
    assert {(x["line_no"], x["code"]) for x in doc["exceptions"]} == EXPECTED
    assert all(x["words"] for x in doc["exceptions"])
