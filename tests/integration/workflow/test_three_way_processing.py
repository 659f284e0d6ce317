"""Processing matches invoice lines to PO lines and goods receipts, and stores typed exceptions.

Each invoice is uploaded and processed by the real workflow on the real database; only the
extraction is a fixed stand-in (its quality has its own tests), so the lines are exactly known.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.extraction.schema import Evidence, ExtractedField, Extraction, LineItem
from core.workflow import invoices, processing, reference, rematch, uploads
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, make_pdf

VENDORS = b"vendor_code,name,vat_id\nV1,ACME Industrial Supplies GmbH,DE811907980\n"
POS = (
    b"po_number,vendor,currency,line_no,description,product_code,quantity,unit_price,amount\n"
    b"PO-7,V1,EUR,1,Hex bolts M8,SKU-1,10,2.50,25.00\n"
    b"PO-7,V1,EUR,2,Nuts M8,SKU-2,4,1.00,4.00\n"
    b"PO-7,V1,EUR,3,Washers M8,SKU-3,20,0.10,2.00\n"
)
# Partial receipts: 6 of 10 bolts, all 4 nuts, 20 washers.
RECEIPTS = (
    b"receipt_number,po_number,line_no,quantity\nGR-1,PO-7,1,6\nGR-1,PO-7,2,4\nGR-2,PO-7,3,20\n"
)


class FixedExtractor:
    """Returns the extraction it was given (the workflow under test, not the reading)."""

    def __init__(self, extraction: Extraction) -> None:
        self.extraction = extraction

    def extract(self, data, *, filename=None):
        return self.extraction


def _field(value):
    return ExtractedField(value=value, confidence=0.99, evidence=Evidence(page=1, text=str(value)))


def _extraction(number: str, lines: list[tuple[str, str, str, str]], po: str = "PO-7"):
    items = [
        LineItem(
            description=desc,
            product_code=code,
            quantity=Decimal(qty),
            unit_price=Decimal(price),
            amount=Decimal(qty) * Decimal(price),
            confidence=0.99,
        )
        for code, desc, qty, price in lines
    ]
    total = sum((i.amount for i in items), Decimal("0"))
    return Extraction(
        vendor_name=_field("ACME Industrial Supplies GmbH"),
        vendor_vat_id=_field("DE811907980"),
        invoice_number=_field(number),
        po_number=_field(po),
        currency=_field("EUR"),
        total=_field(total),
        line_items=items,
        extractor="fixed",
        extractor_version="1",
        source="text_layer",
        page_count=1,
    )


def _process(services, user, client_id, extraction):
    fixed = dataclasses.replace(services, extraction=FixedExtractor(extraction))
    number = extraction.invoice_number.value
    result = uploads.upload_files(
        services=fixed,
        user=user,
        client_id=client_id,
        files=[UploadFile(f"{number}.pdf", make_pdf([f"Invoice {number}"]))],
        process=False,
    )
    invoice_id = result.files[0].invoice_id
    processing.process_invoice(services=fixed, invoice_id=invoice_id, user_id=user.id)
    return invoices.get_invoice(services=services, user=user, invoice_id=invoice_id)


@pytest.fixture
def client(services, role_users):
    operator = as_user(role_users.members["operator"])
    for kind, data in (("vendors", VENDORS), ("purchase_orders", POS)):
        report = reference.import_reference(
            services=services, user=operator, client_id=role_users.id, kind=kind, data=data
        )
        assert not report.errors, report.errors
    return role_users, operator


def _receive(services, client):
    role_users, operator = client
    report = reference.import_reference(
        services=services,
        user=operator,
        client_id=role_users.id,
        kind="goods_receipts",
        data=RECEIPTS,
    )
    assert not report.errors, report.errors


def test_each_line_exception_is_stored_typed_with_its_figures(services, client) -> None:
    role_users, operator = client
    _receive(services, client)
    detail = _process(
        services,
        operator,
        role_users.id,
        _extraction(
            "3W-1",
            [
                ("SKU-1", "Hex bolts M8", "10", "2.50"),  # 6 of 10 received
                ("SKU-2", "Nuts M8", "4", "1.10"),  # +10% on the PO price
                ("SKU-3", "Washers M8", "25", "0.10"),  # 20 ordered, 20 received
                ("SKU-9", "Cable ties", "1", "3.00"),  # not on the PO
            ],
        ),
    )
    assert detail.status == "needs_review"
    po_match = next(m for m in detail.matches if m.kind == "purchase_order")
    assert po_match.band == "review" and "3-way" in po_match.reason
    assert detail.purchase_order_id == po_match.purchase_order_id is not None
    got = {(x.line_no, x.code) for x in detail.exceptions}
    assert got == {
        (None, "po.amount_variance"),  # 34.90 billed against a PO of 31.00
        (1, "line.not_received"),
        (2, "line.price_variance"),
        (3, "line.over_billed_quantity"),
        (3, "line.not_received"),
        (4, "line.no_po_line"),
    }
    by = {(x.line_no, x.code): x for x in detail.exceptions}
    bolts = by[(1, "line.not_received")]
    assert (bolts.quantity, bolts.received_quantity, bolts.ordered_quantity) == (
        Decimal("10.0000"),
        Decimal("6.0000"),
        Decimal("10.0000"),
    )
    assert bolts.po_line_no == 1 and bolts.po_number == "PO-7" and bolts.mode == "3-way"
    assert "only 6 received" in bolts.reason and "4 not received yet" in bolts.reason
    assert by[(2, "line.price_variance")].po_unit_price == Decimal("1.0000")
    assert "+10.0%" in by[(2, "line.price_variance")].reason
    assert "25" in by[(3, "line.over_billed_quantity")].reason

    listed = invoices.list_exceptions(services=services, user=operator, invoice_id=detail.id)
    assert [x.id for x in listed] == [x.id for x in detail.exceptions]
    trail = invoices.audit_log(services=services, user=operator, invoice_id=detail.id)
    recorded = next(e for e in trail if e.action == "match.exceptions_recorded")
    assert detail.exceptions[0].code == "po.amount_variance"  # the PO's own first
    assert "34.90" in detail.exceptions[0].reason and "31.00" in detail.exceptions[0].reason
    assert (recorded.meta["exceptions"], recorded.meta["replaced"]) == (6, 0)
    assert recorded.meta["codes"] == [
        "line.no_po_line",
        "line.not_received",
        "line.over_billed_quantity",
        "line.price_variance",
        "po.amount_variance",
    ]


def test_what_was_billed_before_counts_against_the_receipts(services, client) -> None:
    role_users, operator = client
    _receive(services, client)
    first = _process(
        services, operator, role_users.id, _extraction("3W-2", [("SKU-1", "Bolts", "6", "2.50")])
    )
    assert first.exceptions == ()  # the 6 received bolts, at the PO price: a clean 3-way match
    po_match = next(m for m in first.matches if m.kind == "purchase_order")
    assert po_match.band == "auto" and po_match.score == Decimal("100")

    second = _process(
        services, operator, role_users.id, _extraction("3W-3", [("SKU-1", "Bolts", "4", "2.50")])
    )
    (only,) = second.exceptions
    assert only.code == "line.not_received" and only.billed_before == Decimal("6.0000")
    assert "billed 10 (6 billed before) but only 6 received" in only.reason


def test_without_any_goods_receipts_the_match_is_two_way(services, client) -> None:
    role_users, operator = client
    detail = _process(
        services,
        operator,
        role_users.id,
        _extraction("2W-1", [("SKU-1", "Bolts", "10", "2.50"), ("SKU-2", "Nuts", "5", "1.00")]),
    )
    assert {(x.line_no, x.code, x.mode) for x in detail.exceptions} == {
        (2, "line.over_billed_quantity", "2-way")
    }
    assert all(x.received_quantity is None for x in detail.exceptions)


def test_a_rematch_records_the_exceptions_of_the_new_po_match(services, client) -> None:
    """Receipts recorded after processing: the operator's re-match turns the 2-way exceptions into
    the 3-way ones (the exceptions follow the PO match they belong to)."""
    role_users, operator = client
    detail = _process(
        services,
        operator,
        role_users.id,
        _extraction("RM-1", [("SKU-1", "Bolts", "10", "2.50"), ("SKU-2", "Nuts", "5", "1.00")]),
    )
    assert {x.mode for x in detail.exceptions} == {"2-way"}
    _receive(services, client)
    rematch.rematch_invoice(
        services=services,
        user=operator,
        invoice_id=detail.id,
        expected_version=detail.version,
        reason="goods receipts arrived",
    )
    after = invoices.get_invoice(services=services, user=operator, invoice_id=detail.id)
    assert {x.mode for x in after.exceptions} == {"3-way"}
    assert (1, "line.not_received") in {(x.line_no, x.code) for x in after.exceptions}


def test_an_unknown_po_number_is_an_exception_of_the_po(services, client) -> None:
    role_users, operator = client
    detail = _process(
        services,
        operator,
        role_users.id,
        _extraction("NP-1", [("SKU-1", "Bolts", "1", "2.50")], po="PO-404"),
    )
    (only,) = detail.exceptions
    assert (only.code, only.line_no, only.purchase_order_id) == ("po.not_found", None, None)
    assert detail.status == "needs_review"


def test_users_cannot_clear_an_exception_by_table_access(services, client, engine) -> None:
    role_users, operator = client
    _receive(services, client)
    detail = _process(
        services, operator, role_users.id, _extraction("3W-4", [("SKU-1", "Bolts", "9", "2.50")])
    )
    assert [x.code for x in detail.exceptions] == ["line.not_received"]
    claims = json.dumps(role_users.members["owner"].claims)
    attempts = [
        ("delete from public.match_exceptions where invoice_id = :i", "permission denied"),
        ("select public.invoice_record_exceptions(:i, '[]')", "door call that proposes"),
    ]
    for sql, refused in attempts:
        with engine.connect() as conn, conn.begin():
            conn.execute(
                text(
                    "select set_config('role', 'authenticated', true),"
                    " set_config('request.jwt.claims', :c, true)"
                ),
                {"c": claims},
            )
            with pytest.raises(DBAPIError, match=refused):
                conn.execute(text(sql), {"i": detail.id})
    again = invoices.list_exceptions(services=services, user=operator, invoice_id=detail.id)
    assert [x.code for x in again] == ["line.not_received"]
