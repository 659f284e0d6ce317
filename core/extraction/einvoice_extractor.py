"""E-invoice XML reader: UN/CEFACT CII (ZUGFeRD 1.0, ZUGFeRD 2.x / Factur-X, XRechnung) and UBL 2.1.

The XML is structured data, so every value is read exactly (confidence 1.0) and wins over any
visual reading. Parsing is hardened: no DTD loading, no entity expansion, no network, bounded
size and depth. Amounts keep the sign written in the XML (corrections may be negative).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TypeAlias

from lxml import etree

from core.errors import CorruptDocument, HostileDocument, TooLarge, UnsupportedType
from core.extraction.document import Document
from core.extraction.schema import (
    DocumentType,
    Evidence,
    ExtractedField,
    Extraction,
    LineItem,
    TaxLine,
)

MAX_XML_BYTES = 20 * 1024 * 1024
# UNTDID 1001 codes that mean "credit note" (the sign of the amounts is as written).
CREDIT_NOTE_CODES = frozenset({"381", "396", "261", "262", "296", "308", "532"})

El: TypeAlias = etree._Element


def parse_xml(data: bytes) -> El:
    """Parse untrusted XML safely and return the root with namespaces stripped from tags."""
    if len(data) > MAX_XML_BYTES:
        raise TooLarge(f"the XML has {len(data)} bytes; the limit is {MAX_XML_BYTES}")
    if re.search(rb"<!ENTITY", data[:65536], re.IGNORECASE):
        raise HostileDocument("the XML declares entities, which are refused for safety")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        if re.search(rb"<!(ENTITY|DOCTYPE)", data, re.IGNORECASE):  # e.g. libxml2's loop guard
            raise HostileDocument("the XML declares a DTD, which is refused for safety") from exc
        raise CorruptDocument("the XML is not well-formed") from exc
    if root is None:
        raise CorruptDocument("the XML is empty")
    # The regex above only sees the first 64 KiB; a DOCTYPE after a long comment still parses
    # (unexpanded). E-invoices never carry one, so any DTD is refused wherever it sits.
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise HostileDocument("the XML declares a DTD, which is refused for safety")
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = etree.QName(el).localname
    return root


def _find(node: El | None, *paths: str) -> El | None:
    if node is None:
        return None
    for path in paths:
        found = node.find(path)
        if found is not None:
            return found
    return None


def _text(node: El | None, *paths: str) -> str | None:
    el = _find(node, *paths) if paths else node
    if el is None or el.text is None:
        return None
    text = " ".join(el.text.split())
    return text or None


def _dec(node: El | None, *paths: str) -> Decimal | None:
    text = _text(node, *paths)
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _cii_date(node: El | None, *paths: str) -> dt.date | None:
    el = _find(node, *paths)
    if el is None:
        return None
    raw = _text(el, "DateTimeString") or _text(el, "DateString") or _text(el)
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    try:
        if len(digits) >= 8:
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        if len(digits) == 6:  # format 610: YYYYMM
            return dt.date(int(digits[:4]), int(digits[4:6]), 1)
    except ValueError:
        return None
    return None


def _iso_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _set(ex: Extraction, name: str, value: object, source: str) -> None:
    if value is None or value == "":
        return
    field: ExtractedField[object] = ExtractedField(
        value=value, confidence=1.0, evidence=Evidence(page=None, text=f"{source}: {value}")
    )
    setattr(ex, name, field)


def _set_type(ex: Extraction, code: str | None) -> None:
    if not code:
        return
    _set(ex, "document_type_code", code, "TypeCode")
    kind = DocumentType.credit_note if code in CREDIT_NOTE_CODES else DocumentType.invoice
    _set(ex, "document_type", kind, "TypeCode")


def _amount_in(nodes: list[El], currency: str | None) -> Decimal | None:
    """Pick the amount in the invoice currency when several currencies are given."""
    if not nodes:
        return None
    for node in nodes:
        if currency and node.get("currencyID") == currency:
            return _dec(node)
    for node in nodes:
        if node.get("currencyID") is None:
            return _dec(node)
    return _dec(nodes[0])


def _vat_id(party: El | None) -> str | None:
    if party is None:
        return None
    regs = party.findall("SpecifiedTaxRegistration/ID")
    for reg in regs:
        if (reg.get("schemeID") or "").upper() == "VA":
            return _text(reg)
    return None


def _address(party: El | None) -> str | None:
    addr = _find(party, "PostalTradeAddress")
    if addr is None:
        return None
    parts = [_text(addr, t) for t in ("LineOne", "LineTwo", "LineThree")]
    city = " ".join(p for p in (_text(addr, "PostcodeCode"), _text(addr, "CityName")) if p)
    parts += [city, _text(addr, "CountryID")]
    return ", ".join(p for p in parts if p) or None


def read_cii(root: El) -> Extraction:
    """Read CII: ZUGFeRD 1.0 ``CrossIndustryDocument`` or 2.x ``CrossIndustryInvoice``."""
    ex = Extraction()
    header = _find(root, "ExchangedDocument", "HeaderExchangedDocument")
    tx = _find(root, "SupplyChainTradeTransaction", "SpecifiedSupplyChainTradeTransaction")
    if header is None or tx is None:
        raise UnsupportedType("the CII XML has no document header or trade transaction")
    agreement = _find(tx, "ApplicableHeaderTradeAgreement", "ApplicableSupplyChainTradeAgreement")
    settlement = _find(
        tx, "ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement"
    )
    summation = _find(
        settlement,
        "SpecifiedTradeSettlementHeaderMonetarySummation",
        "SpecifiedTradeSettlementMonetarySummation",
    )
    seller = _find(agreement, "SellerTradeParty")
    buyer = _find(agreement, "BuyerTradeParty")
    currency = _text(settlement, "InvoiceCurrencyCode")

    _set(ex, "invoice_number", _text(header, "ID"), "ExchangedDocument/ID")
    _set_type(ex, _text(header, "TypeCode"))
    _set(ex, "invoice_date", _cii_date(header, "IssueDateTime"), "IssueDateTime")
    _set(ex, "vendor_name", _text(seller, "Name"), "SellerTradeParty/Name")
    _set(ex, "vendor_address", _address(seller), "SellerTradeParty/PostalTradeAddress")
    _set(ex, "vendor_vat_id", _vat_id(seller), "SellerTradeParty/SpecifiedTaxRegistration")
    _set(ex, "customer_name", _text(buyer, "Name"), "BuyerTradeParty/Name")
    _set(ex, "customer_vat_id", _vat_id(buyer), "BuyerTradeParty/SpecifiedTaxRegistration")
    po = _text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID")
    _set(ex, "po_number", po or _text(agreement, "BuyerOrderReferencedDocument/ID"), "BuyerOrder")
    _set(ex, "currency", currency, "InvoiceCurrencyCode")
    iban = _text(
        settlement, "SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID"
    )
    _set(ex, "vendor_iban", iban, "PayeePartyCreditorFinancialAccount/IBANID")
    terms = settlement.findall("SpecifiedTradePaymentTerms") if settlement is not None else []
    for term in terms:
        if ex.due_date.value is None:
            _set(ex, "due_date", _cii_date(term, "DueDateDateTime"), "DueDateDateTime")
        if ex.payment_terms.value is None:
            _set(ex, "payment_terms", _text(term, "Description"), "SpecifiedTradePaymentTerms")
    if summation is not None:
        _set(ex, "line_total", _dec(summation, "LineTotalAmount"), "LineTotalAmount")
        _set(ex, "subtotal", _dec(summation, "TaxBasisTotalAmount"), "TaxBasisTotalAmount")
        _set(ex, "tax", _amount_in(summation.findall("TaxTotalAmount"), currency), "TaxTotalAmount")
        _set(ex, "total", _dec(summation, "GrandTotalAmount"), "GrandTotalAmount")
        _set(ex, "amount_due", _dec(summation, "DuePayableAmount"), "DuePayableAmount")
    for tax in settlement.findall("ApplicableTradeTax") if settlement is not None else []:
        ex.tax_breakdown.append(
            TaxLine(
                rate=_dec(tax, "RateApplicablePercent", "ApplicablePercent"),
                base=_dec(tax, "BasisAmount"),
                amount=_dec(tax, "CalculatedAmount"),
                category=_text(tax, "CategoryCode"),
            )
        )
    for item in tx.findall("IncludedSupplyChainTradeLineItem"):
        line = _cii_line(item)
        # ZUGFeRD 1.0 uses line items that only carry a free-text note; they are not lines.
        if any(v is not None for v in (line.description, line.quantity, line.amount)):
            ex.line_items.append(line)
    return ex


def _cii_line(item: El) -> LineItem:
    agreement = _find(item, "SpecifiedLineTradeAgreement", "SpecifiedSupplyChainTradeAgreement")
    delivery = _find(item, "SpecifiedLineTradeDelivery", "SpecifiedSupplyChainTradeDelivery")
    settle = _find(item, "SpecifiedLineTradeSettlement", "SpecifiedSupplyChainTradeSettlement")
    qty = _find(delivery, "BilledQuantity")
    product = _find(item, "SpecifiedTradeProduct")
    return LineItem(
        description=_text(product, "Name"),
        product_code=_text(product, "SellerAssignedID") or _text(product, "GlobalID"),
        quantity=_dec(qty),
        unit=qty.get("unitCode") if qty is not None else None,
        unit_price=_dec(agreement, "NetPriceProductTradePrice/ChargeAmount"),
        tax_rate=_dec(
            settle,
            "ApplicableTradeTax/RateApplicablePercent",
            "ApplicableTradeTax/ApplicablePercent",
        ),
        amount=_dec(
            settle,
            "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
            "SpecifiedTradeSettlementMonetarySummation/LineTotalAmount",
        ),
        confidence=1.0,
        evidence=Evidence(page=None, text="IncludedSupplyChainTradeLineItem"),
    )


def _ubl_party(party: El | None) -> tuple[str | None, str | None, str | None]:
    p = _find(party, "Party")
    name = _text(p, "PartyLegalEntity/RegistrationName") or _text(p, "PartyName/Name")
    vat = None
    for scheme in p.findall("PartyTaxScheme") if p is not None else []:
        if (_text(scheme, "TaxScheme/ID") or "VAT").upper() == "VAT":
            vat = _text(scheme, "CompanyID")
            break
    addr = _find(p, "PostalAddress")
    parts = [_text(addr, "StreetName"), _text(addr, "AdditionalStreetName")]
    city = " ".join(x for x in (_text(addr, "PostalZone"), _text(addr, "CityName")) if x)
    parts += [city, _text(addr, "Country/IdentificationCode")]
    return name, vat, ", ".join(x for x in parts if x) or None


def read_ubl(root: El) -> Extraction:
    """Read a UBL 2.1 ``Invoice`` or ``CreditNote`` (Peppol BIS, XRechnung UBL)."""
    ex = Extraction()
    is_credit = root.tag == "CreditNote"
    currency = _text(root, "DocumentCurrencyCode")
    _set(ex, "invoice_number", _text(root, "ID"), "ID")
    code = _text(root, "CreditNoteTypeCode" if is_credit else "InvoiceTypeCode")
    _set_type(ex, code or ("381" if is_credit else "380"))
    _set(ex, "invoice_date", _iso_date(_text(root, "IssueDate")), "IssueDate")
    due = _text(root, "DueDate") or _text(root, "PaymentMeans/PaymentDueDate")
    _set(ex, "due_date", _iso_date(due), "DueDate")
    vendor, vendor_vat, vendor_addr = _ubl_party(_find(root, "AccountingSupplierParty"))
    customer, customer_vat, _ = _ubl_party(_find(root, "AccountingCustomerParty"))
    _set(ex, "vendor_name", vendor, "AccountingSupplierParty")
    _set(ex, "vendor_vat_id", vendor_vat, "AccountingSupplierParty/PartyTaxScheme")
    _set(ex, "vendor_address", vendor_addr, "AccountingSupplierParty/PostalAddress")
    _set(ex, "customer_name", customer, "AccountingCustomerParty")
    _set(ex, "customer_vat_id", customer_vat, "AccountingCustomerParty/PartyTaxScheme")
    _set(ex, "po_number", _text(root, "OrderReference/ID"), "OrderReference/ID")
    _set(ex, "currency", currency, "DocumentCurrencyCode")
    _set(
        ex,
        "vendor_iban",
        _text(root, "PaymentMeans/PayeeFinancialAccount/ID"),
        "PayeeFinancialAccount",
    )
    _set(ex, "payment_terms", _text(root, "PaymentTerms/Note"), "PaymentTerms/Note")
    totals = _find(root, "LegalMonetaryTotal")
    _set(ex, "line_total", _dec(totals, "LineExtensionAmount"), "LineExtensionAmount")
    _set(ex, "subtotal", _dec(totals, "TaxExclusiveAmount"), "TaxExclusiveAmount")
    _set(ex, "total", _dec(totals, "TaxInclusiveAmount"), "TaxInclusiveAmount")
    _set(ex, "amount_due", _dec(totals, "PayableAmount"), "PayableAmount")
    tax_totals = root.findall("TaxTotal")
    _set(
        ex,
        "tax",
        _amount_in(
            [t.find("TaxAmount") for t in tax_totals if t.find("TaxAmount") is not None], currency
        ),
        "TaxTotal/TaxAmount",
    )
    for tt in tax_totals:
        for sub in tt.findall("TaxSubtotal"):
            ex.tax_breakdown.append(
                TaxLine(
                    rate=_dec(sub, "TaxCategory/Percent"),
                    base=_dec(sub, "TaxableAmount"),
                    amount=_dec(sub, "TaxAmount"),
                    category=_text(sub, "TaxCategory/ID"),
                )
            )
    for line in root.findall("CreditNoteLine" if is_credit else "InvoiceLine"):
        qty = _find(line, "CreditedQuantity", "InvoicedQuantity")
        ex.line_items.append(
            LineItem(
                description=_text(line, "Item/Name") or _text(line, "Item/Description"),
                product_code=_text(line, "Item/SellersItemIdentification/ID"),
                quantity=_dec(qty),
                unit=qty.get("unitCode") if qty is not None else None,
                unit_price=_dec(line, "Price/PriceAmount"),
                tax_rate=_dec(line, "Item/ClassifiedTaxCategory/Percent"),
                amount=_dec(line, "LineExtensionAmount"),
                confidence=1.0,
                evidence=Evidence(page=None, text="InvoiceLine"),
            )
        )
    return ex


class EInvoiceExtractor:
    """Reads the e-invoice XML of a document (standalone or embedded in a PDF)."""

    name = "einvoice"
    version = "1.0.0"

    @staticmethod
    def can_extract(document: Document) -> bool:
        """Whether the document carries e-invoice XML at all."""
        return document.einvoice_xml is not None

    def extract(self, document: Document) -> Extraction:
        """Read the XML exactly; ``UnsupportedType`` when there is none or it is no invoice."""
        data = document.einvoice_xml
        if data is None:
            raise UnsupportedType("the document carries no e-invoice XML")
        ex = extract_xml(data)
        ex.page_count = document.page_count
        return ex


def extract_xml(data: bytes) -> Extraction:
    """Parse UBL or CII bytes into an :class:`Extraction`."""
    root = parse_xml(data)
    if root.tag in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        ex = read_cii(root)
        syntax = "cii"
    elif root.tag in ("Invoice", "CreditNote"):
        ex = read_ubl(root)
        syntax = "ubl"
    else:
        raise UnsupportedType(f"the XML is not a UBL or CII invoice (root element {root.tag!r})")
    ex.extractor = EInvoiceExtractor.name
    ex.extractor_version = f"{EInvoiceExtractor.version}+{syntax}"
    ex.source = "einvoice_xml"
    return ex
