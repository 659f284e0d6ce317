"""Re-matching after corrections, duplicates without a matched vendor, vendors created from an
invoice (issue 13), against the real database."""

from __future__ import annotations

import pytest

from core.errors import Conflict, Forbidden, InvalidTransition, VendorExists
from core.workflow import invoices, reference, rematch, review
from core.workflow import vendor_creation as vc
from tests.integration.workflow.conftest import as_user, invoice_pdf, make_pdf, process_one

POS = (
    b"po_number,vendor,currency,line_no,description,product_code,quantity,unit_price,amount\n"
    b"PO-4711,V1,EUR,1,Widgets,W-1,1,119.00,119.00\n"
)
VENDORS = b"vendor_code,name,vat_id\nV1,ACME Industrial Supplies GmbH,DE123456789\n"


def _trail(services, user, invoice_id, action):
    return [
        e
        for e in invoices.audit_log(services=services, user=user, invoice_id=invoice_id)
        if e.action == action
    ]


def test_a_po_correction_re_matches_in_the_same_transaction(services, role_users) -> None:
    operator = as_user(role_users.members["operator"])
    for kind, data in (("vendors", VENDORS), ("purchase_orders", POS)):
        reference.import_reference(
            services=services, user=operator, client_id=role_users.id, kind=kind, data=data
        )
    invoice = process_one(services, operator, role_users.id, "po.pdf", invoice_pdf("RM-1"))
    po = next(m for m in invoice.matches if m.kind == "purchase_order")
    assert po.purchase_order_id is None and "PO-1001" in po.reason  # not in the list

    review.correct_fields(
        services=services,
        user=operator,
        invoice_id=invoice.id,
        changes={"po_number": "PO-4711"},
        expected_version=invoice.version,
    )
    corrected = invoices.get_invoice(services=services, user=operator, invoice_id=invoice.id)
    assert corrected.purchase_order_id is not None
    po = next(m for m in corrected.matches if m.kind == "purchase_order")
    assert po.purchase_order_id == corrected.purchase_order_id and po.band == "auto"
    (event,) = _trail(services, operator, invoice.id, "match.rematched")
    assert event.meta["why"] == "corrected po_number" and event.meta["trigger"] == "correction"
    assert event.meta["kinds"] == ["purchase_order"]
    assert "PO-1001" in event.meta["matches_before"][0]["reason"]
    assert event.meta["matches_after"][0]["band"] == "auto"
    # The vendor match was not re-run: still there, untouched.
    assert [m.kind for m in corrected.matches if m.kind == "vendor"] == ["vendor"]


def test_an_explicit_re_match_is_version_checked_and_role_checked(services, role_users) -> None:
    operator = as_user(role_users.members["operator"])
    viewer = as_user(role_users.members["viewer"])
    invoice = process_one(services, operator, role_users.id, "x.pdf", invoice_pdf("RM-2"))
    assert invoice.vendor_id is None  # no vendor master yet
    reference.import_reference(
        services=services, user=operator, client_id=role_users.id, kind="vendors", data=VENDORS
    )
    with pytest.raises(Forbidden):
        rematch.rematch_invoice(
            services=services, user=viewer, invoice_id=invoice.id, expected_version=invoice.version
        )
    with pytest.raises(Conflict):
        rematch.rematch_invoice(
            services=services, user=operator, invoice_id=invoice.id, expected_version=99
        )
    again = rematch.rematch_invoice(
        services=services,
        user=operator,
        invoice_id=invoice.id,
        expected_version=invoice.version,
        reason="vendor list imported",
    )
    assert again.vendor_id is not None
    (event,) = _trail(services, operator, invoice.id, "match.rematched")
    assert event.meta["why"] == "vendor list imported" and event.meta["trigger"] == "request"


def test_a_re_sent_copy_without_a_matched_vendor_is_a_possible_duplicate(
    services, role_users
) -> None:
    """No vendor master: the same vendor name, invoice number and amount flag the copy."""
    operator = as_user(role_users.members["operator"])
    first = process_one(
        services, operator, role_users.id, "a.pdf", invoice_pdf("471102", "Lieferant GmbH")
    )
    copy = process_one(
        services,
        operator,
        role_users.id,
        "b.pdf",
        make_pdf(  # the same invoice, laid out differently (other bytes, other text)
            [
                "LIEFERANT G.m.b.H.",
                "VAT ID: DE123456789",
                "Invoice number: 471-102",
                "Invoice date: 2024-03-15",
                "PO number: PO-1001",
                "Total: 119.00 EUR",
                "Copy: sent again",
            ]
        ),
    )
    assert first.vendor_id is None and copy.vendor_id is None
    (dup,) = [m for m in copy.matches if m.kind == "duplicate"]
    assert dup.duplicate_of_invoice_id == first.id
    assert "same vendor" in dup.reason
    other = process_one(
        services,
        operator,
        role_users.id,
        "c.pdf",
        make_pdf(
            [
                "Anderer Lieferant AG",
                "VAT ID: ATU12345678",
                "Invoice number: 471102",
                "Invoice date: 2024-03-15",
                "Total: 119.00 EUR",
            ]
        ),
    )
    assert not [m for m in other.matches if m.kind == "duplicate"]  # another vendor's number


def test_a_vendor_is_created_from_an_invoice_after_did_you_mean(services, role_users) -> None:
    operator = as_user(role_users.members["operator"])
    analyst = as_user(role_users.members["analyst"])
    invoice = process_one(services, operator, role_users.id, "v.pdf", invoice_pdf("VC-1"))
    with pytest.raises(Forbidden):
        vc.create_vendor_from_invoice(
            services=services, user=analyst, invoice_id=invoice.id, expected_version=invoice.version
        )
    made = vc.create_vendor_from_invoice(
        services=services, user=operator, invoice_id=invoice.id, expected_version=invoice.version
    )
    assert made.vendor.name == "ACME Industrial Supplies GmbH"
    assert made.vendor.vat_id == "DE123456789"
    assert made.invoice.vendor_id == made.vendor.id
    assert _trail(services, operator, invoice.id, "vendor.created")

    second = process_one(
        services, operator, role_users.id, "w.pdf", invoice_pdf("VC-2", "ACME Industrial Supply")
    )
    suggestions = vc.suggest_vendors(services=services, user=operator, invoice_id=second.id)
    assert [s.vendor_id for s in suggestions] == [made.vendor.id]
    with pytest.raises(VendorExists) as exists:
        vc.create_vendor_from_invoice(
            services=services,
            user=operator,
            invoice_id=second.id,
            expected_version=second.version,
            vat_id="",
        )
    assert exists.value.details["errors"][0]["vendor_id"] == str(made.vendor.id)
    decided = review.approve_invoice  # the first invoice, decided, takes no new vendor
    decided(
        services=services,
        user=as_user(role_users.members["owner"]),
        invoice_id=invoice.id,
        override_reason="tests: PO confirmed",
    )
    current = invoices.get_invoice(services=services, user=operator, invoice_id=invoice.id)
    with pytest.raises(InvalidTransition):
        vc.create_vendor_from_invoice(
            services=services,
            user=operator,
            invoice_id=invoice.id,
            expected_version=current.version,
            name="Late GmbH",
        )
