"""The e-invoice path reads every ZUGFeRD/Factur-X sample exactly, and UBL too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import HostileDocument, UnsupportedType
from core.extraction.document import load_document
from core.extraction.einvoice_extractor import EInvoiceExtractor, extract_xml
from core.extraction.evaluation import score_fields, score_lines
from core.extraction.schema import DocumentType

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 200, "ocr": False}


def test_every_zugferd_sample_matches_its_truth_exactly(
    zugferd_dir: Path, zugferd_truth: list[dict[str, Any]]
) -> None:
    misses = []
    for row in zugferd_truth:
        doc = load_document((zugferd_dir / row["file"]).read_bytes(), **LIMITS)
        flat = EInvoiceExtractor().extract(doc).to_flat_fields()
        misses += [(row["file"], f) for f, ok in score_fields(flat, row).items() if not ok]
        lines = score_lines(flat.get("line_items", []), row["fields"].get("line_items", []))
        misses += [(row["file"], f"line_items.{a}") for a, (ok, n) in lines.items() if ok != n]
    assert misses == []
    assert len(zugferd_truth) == 42


def test_standalone_xml_of_the_corpus_reads_like_the_embedded_one(zugferd_dir: Path) -> None:
    embedded = load_document((zugferd_dir / "docs/EN16931_Rabatte.pdf").read_bytes(), **LIMITS)
    standalone = load_document(
        (zugferd_dir / "original/EN16931_Rabatte.factur-x.xml").read_bytes(), **LIMITS
    )
    assert standalone.media_type == "application/xml"
    a = EInvoiceExtractor().extract(embedded).to_flat_fields()
    b = EInvoiceExtractor().extract(standalone).to_flat_fields()
    assert a == b
    assert a["amount_due"] == "165.07"


def test_credit_note_type_381_is_a_credit_note_with_the_xml_sign(zugferd_dir: Path) -> None:
    doc = load_document((zugferd_dir / "docs/Avoir_FR_type381_BASIC.pdf").read_bytes(), **LIMITS)
    ex = EInvoiceExtractor().extract(doc)
    assert ex.document_type.value is DocumentType.credit_note
    assert ex.document_type_code.value == "381"
    assert str(ex.total.value) == "233.47"
    assert ex.source == "einvoice_xml" and ex.total.confidence == 1.0


UBL = b"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>INV-42</cbc:ID><cbc:IssueDate>2024-03-05</cbc:IssueDate><cbc:DueDate>2024-04-04</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:OrderReference><cbc:ID>PO-7</cbc:ID></cac:OrderReference>
 <cac:AccountingSupplierParty><cac:Party>
  <cac:PostalAddress><cbc:StreetName>Main 1</cbc:StreetName><cbc:CityName>Berlin</cbc:CityName>
   <cbc:PostalZone>10115</cbc:PostalZone><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Seller GmbH</cbc:RegistrationName>
  </cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <cac:PartyLegalEntity><cbc:RegistrationName>Buyer SARL</cbc:RegistrationName>
  </cac:PartyLegalEntity>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
  <cac:PayeeFinancialAccount><cbc:ID>DE89370400440532013000</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
  <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount>
   <cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
   <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
 <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">119.00</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="H87">4</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Widget</cbc:Name><cac:SellersItemIdentification><cbc:ID>W-1</cbc:ID></cac:SellersItemIdentification>
   <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent></cac:ClassifiedTaxCategory></cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>"""


def test_ubl_invoice_reads_every_field() -> None:
    flat = extract_xml(UBL).to_flat_fields()
    assert flat["invoice_number"] == "INV-42"
    assert (flat["invoice_date"], flat["due_date"]) == ("2024-03-05", "2024-04-04")
    assert (flat["vendor_name"], flat["customer_name"]) == ("Seller GmbH", "Buyer SARL")
    assert flat["vendor_vat_id"] == "DE123456789"
    assert flat["vendor_iban"] == "DE89370400440532013000"
    assert flat["po_number"] == "PO-7"
    assert (flat["subtotal"], flat["tax"], flat["total"]) == ("100.00", "19.00", "119.00")
    assert flat["line_items"] == [
        {
            "description": "Widget",
            "product_code": "W-1",
            "quantity": "4",
            "unit": "H87",
            "unit_price": "25.00",
            "tax_rate": "19",
            "amount": "100.00",
        }
    ]


def test_ubl_credit_note_root_is_a_credit_note() -> None:
    xml = UBL.replace(b"<Invoice ", b"<CreditNote ").replace(b"</Invoice>", b"</CreditNote>")
    xml = xml.replace(b"Invoice-2", b"CreditNote-2").replace(
        b"InvoiceTypeCode", b"CreditNoteTypeCode"
    )
    xml = xml.replace(b"380", b"381").replace(b"InvoiceLine", b"CreditNoteLine")
    xml = xml.replace(b"InvoicedQuantity", b"CreditedQuantity")
    ex = extract_xml(xml)
    assert ex.document_type.value is DocumentType.credit_note
    assert ex.line_items[0].quantity == 4


def test_xml_with_entities_is_refused() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Invoice>&e;</Invoice>'
    with pytest.raises(HostileDocument):
        extract_xml(evil)


def test_xml_that_is_no_invoice_is_unsupported() -> None:
    with pytest.raises(UnsupportedType):
        extract_xml(b"<?xml version='1.0'?><catalog><book/></catalog>")


def test_pdf_without_xml_has_nothing_for_the_einvoice_reader() -> None:
    import io

    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf)
    c.drawString(72, 720, "Invoice 1")
    c.save()
    doc = load_document(buf.getvalue(), **LIMITS)
    assert not EInvoiceExtractor.can_extract(doc)
    with pytest.raises(UnsupportedType):
        EInvoiceExtractor().extract(doc)
