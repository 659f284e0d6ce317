"""E-invoice downloads and the Xero bills export through HTTP, with a real worker and database."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from core.demo.synthetic_content import make_spec
from core.extraction.einvoice_extractor import extract_xml
from core.workflow.einvoice_export import to_ubl
from core.workflow.einvoice_model import from_invoice
from tests.e2e.api.conftest import sign_up, wait_for_batch
from tests.einvoice_xsd import schema_errors

pytestmark = pytest.mark.slow


def _incoming_ubl(seed: int) -> tuple[bytes, object]:
    """A vendor's UBL invoice, as an ERP would send it (written by our own writer)."""
    spec = make_spec(seed, credit_note=False)
    invoice = {
        "invoice_number": spec.number,
        "invoice_date": spec.invoice_date,
        "due_date": spec.due_date,
        "currency": spec.loc.currency,
        "vendor_name": spec.vendor.name,
        "vendor_vat_id": spec.vendor.vat_id,
        "vendor_iban": spec.vendor.iban,
        "customer_name": spec.customer.name,
        "subtotal": spec.subtotal,
        "tax": spec.tax,
        "total": spec.total,
        "amount_due": spec.amount_due,
    }
    lines = [
        {
            "line_no": i,
            "description": it.description,
            "quantity": it.quantity,
            "unit_price": it.unit_price,
            "amount": it.amount,
            "tax_rate": it.tax_rate,
        }
        for i, it in enumerate(spec.items, start=1)
    ]
    return to_ubl(from_invoice(invoice, lines)), spec


def test_approved_invoice_downloads_as_valid_ubl_and_cii_and_xero_bills(http, worker):
    headers = sign_up(http)
    cid = http.post("/clients", json={"name": "ERP Buyer GmbH"}, headers=headers).json()["id"]
    (xml_a, spec_a), (xml_b, _) = _incoming_ubl(501), _incoming_ubl(502)
    up = http.post(
        f"/clients/{cid}/uploads",
        files=[
            ("files", ("a.xml", xml_a, "application/xml")),
            ("files", ("b.xml", xml_b, "application/xml")),
        ],
        headers=headers,
    ).json()
    assert up["accepted"] == 2, up
    wait_for_batch(http, headers, up["batch_id"])
    inv_a, inv_b = (f["invoice_id"] for f in up["files"])

    # Not approved yet: a problem+json 409 with a stable code, no XML.
    r = http.get(f"/invoices/{inv_a}/einvoice", params={"format": "ubl"}, headers=headers)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_exportable"

    # No vendor master here: the policy that blocks on unknown vendors is not the subject.
    r = http.post(
        f"/clients/{cid}/approval-policies",
        json={"policy": {"blocks": []}, "activate": True},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    tag = http.get(f"/invoices/{inv_a}", headers=headers).headers["etag"]
    r = http.post(f"/invoices/{inv_a}/approve", headers={**headers, "If-Match": tag})
    assert r.status_code == 200, r.text
    ubl = http.get(f"/invoices/{inv_a}/einvoice", params={"format": "ubl"}, headers=headers)
    assert ubl.status_code == 200, ubl.text
    assert ubl.headers["content-type"].startswith("application/xml")
    assert "attachment;" in ubl.headers["content-disposition"]
    cii = http.get(f"/invoices/{inv_a}/einvoice", params={"format": "cii"}, headers=headers)
    assert cii.status_code == 200
    for body in (ubl.content, cii.content):
        assert schema_errors(body) == []
        back = extract_xml(body)
        assert back.invoice_number.value == spec_a.number
        assert back.total.value == spec_a.total
        assert [li.amount for li in back.line_items] == [it.amount for it in spec_a.items]
    # The download is read-only: the invoice stays approved.
    assert http.get(f"/invoices/{inv_a}", headers=headers).json()["status"] == "approved"

    bad = http.get(f"/invoices/{inv_a}/einvoice", params={"format": "pdf"}, headers=headers)
    assert bad.status_code == 422
    missing = http.get(f"/invoices/{uuid.uuid4()}/einvoice", headers=headers)
    assert missing.status_code == 404

    # Bills for Xero: only approved/exported invoices by default (b is not approved).
    r = http.get(
        "/exports",
        params={"client_id": cid, "format": "xero_bills", "account_code": "400"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith('attachment; filename="xero-bills-')
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert {row["*InvoiceNumber"] for row in rows} == {spec_a.number}
    assert len(rows) == len(spec_a.items) and all(row["*AccountCode"] == "400" for row in rows)
    # The export is a read; marking what was exported is its own request.
    assert http.get(f"/invoices/{inv_a}", headers=headers).json()["status"] == "approved"
    r = http.post("/exports/mark-exported", json={"invoice_ids": [inv_a, inv_b]}, headers=headers)
    assert r.status_code == 200 and r.json() == {"marked": [inv_a], "skipped": [inv_b]}, r.text
    assert http.get(f"/invoices/{inv_a}", headers=headers).json()["status"] == "exported"
    assert http.get(f"/invoices/{inv_b}", headers=headers).json()["status"] != "exported"
    # Exported invoices still download.
    again = http.get(f"/invoices/{inv_a}/einvoice", headers=headers)
    assert again.status_code == 200 and again.content == ubl.content

    outsider = sign_up(http)
    r = http.get(f"/invoices/{inv_a}/einvoice", headers=outsider)
    assert r.status_code == 404 and spec_a.number not in r.text
