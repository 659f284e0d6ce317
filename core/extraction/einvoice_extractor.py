"""E-invoice XML reader: UN/CEFACT CII (ZUGFeRD 1.0, ZUGFeRD 2.x / Factur-X, XRechnung) and UBL 2.1.

The XML is structured data, so every value is read exactly (confidence 1.0) and wins over any
visual reading. Parsing is hardened: no DTD loading, no entity expansion, no network, bounded
size and depth. Amounts keep the sign written in the XML (corrections may be negative).
"""

from __future__ import annotations

from core.errors import UnsupportedType
from core.extraction.document import Document
from core.extraction.einvoice_xml import (
    El,
    _amount_in,
    _cii_date,
    _dec,
    _find,
    _set,
    _set_type,
    _text,
    check_invoice_xml,
    line_allowances,
    parse_xml,
)
from core.extraction.schema import (
    Evidence,
    Extraction,
    LineItem,
    TaxLine,
)
from core.extraction.ubl_reader import read_ubl


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
    allowance, charge = line_allowances(
        settle.findall("SpecifiedTradeAllowanceCharge") if settle is not None else [],
        indicator="ChargeIndicator/Indicator",
        amount="ActualAmount",
    )
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
        allowance=allowance,
        charge=charge,
        confidence=1.0,
        evidence=Evidence(page=None, text="IncludedSupplyChainTradeLineItem"),
    )


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
    check_invoice_xml(data)  # no browser-rendered markup, style sheet or DTD; an invoice root
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
