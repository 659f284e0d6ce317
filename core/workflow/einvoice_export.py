"""UBL 2.1 and UN/CEFACT CII (EN 16931) XML of one invoice: pure functions of an ``EInvoice``.

- ``to_ubl``: an OASIS UBL 2.1 ``Invoice`` (or ``CreditNote``), customization EN 16931, the
  syntax of Peppol BIS Billing 3.0 and XRechnung UBL.
- ``to_cii``: a ``CrossIndustryInvoice`` D16B in the Factur-X / ZUGFeRD EN 16931 profile, the
  syntax XRechnung CII uses as well.

Element order follows the schemas' sequences (the tests validate against the official XSDs), and
every value the product's own readers (``core.extraction.einvoice_extractor``) read is written
where they read it, so a round trip gives the same values back. XRechnung's extra business rules
(Leitweg-ID, electronic addresses, seller contact) need data the product does not hold; the
output names the EN 16931 core specification, not the XRechnung CIUS.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal, TypeAlias

from lxml import etree

from core.workflow.einvoice_model import Address, EInvoice, Line, Party

EInvoiceFormat = Literal["ubl", "cii"]
EN16931 = "urn:cen.eu:en16931:2017"
MEDIA_TYPE = "application/xml"
# UNCL 4461: 58 = SEPA credit transfer (an IBAN is known), 30 = credit transfer.
PAYMENT_MEANS_IBAN, PAYMENT_MEANS_OTHER = "58", "30"

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

El: TypeAlias = etree._Element


def _num(value: Decimal) -> str:
    """A decimal as plain digits (never an exponent), as the XSD ``decimal`` type requires."""
    return format(value, "f")


def _sub(parent: El, ns: str, tag: str, text: str | None = None, **attrs: str) -> El:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _serialize(root: El) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


# --- UBL 2.1 -----------------------------------------------------------------------------------


def _cbc(parent: El, tag: str, text: str | None = None, **attrs: str) -> El:
    return _sub(parent, CBC, tag, text, **attrs)


def _cac(parent: El, tag: str) -> El:
    return _sub(parent, CAC, tag)


def _ubl_amount(parent: El, tag: str, value: Decimal, currency: str) -> El:
    return _cbc(parent, tag, _num(value), currencyID=currency)


def _ubl_address(parent: El, address: Address) -> None:
    addr = _cac(parent, "PostalAddress")
    if address.street:
        _cbc(addr, "StreetName", address.street)
    if address.city:
        _cbc(addr, "CityName", address.city)
    if address.postcode:
        _cbc(addr, "PostalZone", address.postcode)
    if address.country:
        _cbc(_cac(addr, "Country"), "IdentificationCode", address.country)


def _ubl_party(parent: El, tag: str, party: Party) -> None:
    node = _cac(_cac(parent, tag), "Party")
    if party.name:
        _cbc(_cac(node, "PartyName"), "Name", party.name)
    if party.address is not None:
        _ubl_address(node, party.address)
    if party.vat_id:
        scheme = _cac(node, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", party.vat_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", "VAT")
    if party.name:
        _cbc(_cac(node, "PartyLegalEntity"), "RegistrationName", party.name)


def _ubl_tax_category(parent: El, tag: str, category: str, rate: Decimal | None) -> None:
    node = _cac(parent, tag)
    _cbc(node, "ID", category)
    if rate is not None:
        _cbc(node, "Percent", _num(rate))
    _cbc(_cac(node, "TaxScheme"), "ID", "VAT")


def _ubl_line(root: El, doc: EInvoice, line: Line) -> None:
    credit = doc.is_credit_note
    node = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    _cbc(node, "ID", str(line.line_no))
    qty_attrs = {"unitCode": line.unit} if line.unit else {}
    qty_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    _cbc(node, qty_tag, _num(line.quantity), **qty_attrs)
    _ubl_amount(node, "LineExtensionAmount", line.amount, doc.currency)
    item = _cac(node, "Item")
    _cbc(item, "Name", line.description)
    if line.product_code:
        _cbc(_cac(item, "SellersItemIdentification"), "ID", line.product_code)
    _ubl_tax_category(item, "ClassifiedTaxCategory", line.tax_category, line.tax_rate)
    _ubl_amount(_cac(node, "Price"), "PriceAmount", line.unit_price, doc.currency)


def _ubl_payment(root: El, doc: EInvoice) -> None:
    # A CreditNote has no DueDate element: its due date goes in PaymentMeans (the readers look
    # there too), so PaymentMeans is written whenever there is an IBAN or such a date.
    credit_due = doc.due_date if doc.is_credit_note else None
    if doc.iban or credit_due:
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", PAYMENT_MEANS_IBAN if doc.iban else PAYMENT_MEANS_OTHER)
        if credit_due:
            _cbc(means, "PaymentDueDate", credit_due.isoformat())
        if doc.iban:
            _cbc(_cac(means, "PayeeFinancialAccount"), "ID", doc.iban)
    if doc.payment_terms:
        _cbc(_cac(root, "PaymentTerms"), "Note", doc.payment_terms)


def _ubl_totals(root: El, doc: EInvoice) -> None:
    cur = doc.currency
    tax_total = _cac(root, "TaxTotal")
    _ubl_amount(tax_total, "TaxAmount", doc.tax, cur)
    for t in doc.tax_breakdown:
        sub = _cac(tax_total, "TaxSubtotal")
        _ubl_amount(sub, "TaxableAmount", t.base, cur)
        _ubl_amount(sub, "TaxAmount", t.amount, cur)
        _ubl_tax_category(sub, "TaxCategory", t.category, t.rate)
    money = _cac(root, "LegalMonetaryTotal")
    _ubl_amount(money, "LineExtensionAmount", doc.line_total, cur)
    _ubl_amount(money, "TaxExclusiveAmount", doc.tax_basis, cur)
    _ubl_amount(money, "TaxInclusiveAmount", doc.total, cur)
    if doc.prepaid:
        _ubl_amount(money, "PrepaidAmount", doc.prepaid, cur)
    _ubl_amount(money, "PayableAmount", doc.amount_due, cur)


def to_ubl(doc: EInvoice) -> bytes:
    """The invoice as a UBL 2.1 ``Invoice`` or, for credit-note type codes, ``CreditNote``."""
    credit = doc.is_credit_note
    ns = UBL_CREDIT_NOTE if credit else UBL_INVOICE
    root = etree.Element(
        f"{{{ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: ns, "cac": CAC, "cbc": CBC}
    )
    _cbc(root, "CustomizationID", EN16931)
    _cbc(root, "ID", doc.number)
    _cbc(root, "IssueDate", doc.issue_date.isoformat())
    if doc.due_date and not credit:
        _cbc(root, "DueDate", doc.due_date.isoformat())
    _cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", doc.type_code)
    for note in doc.notes:
        _cbc(root, "Note", note)
    _cbc(root, "DocumentCurrencyCode", doc.currency)
    if doc.po_number:
        _cbc(_cac(root, "OrderReference"), "ID", doc.po_number)
    _ubl_party(root, "AccountingSupplierParty", doc.seller)
    _ubl_party(root, "AccountingCustomerParty", doc.buyer)
    _ubl_payment(root, doc)
    _ubl_totals(root, doc)
    for line in doc.lines:
        _ubl_line(root, doc, line)
    return _serialize(root)


# --- CII (D16B, EN 16931 profile) ---------------------------------------------------------------


def _ram(parent: El, tag: str, text: str | None = None, **attrs: str) -> El:
    return _sub(parent, RAM, tag, text, **attrs)


def _cii_date(parent: El, tag: str, value: dt.date) -> None:
    when = _ram(parent, tag)
    _sub(when, UDT, "DateTimeString", value.strftime("%Y%m%d"), format="102")  # 102: CCYYMMDD


def _cii_tax(parent: El, category: str, rate: Decimal | None, amounts: dict[str, Decimal]) -> None:
    tax = _ram(parent, "ApplicableTradeTax")
    if "calculated" in amounts:
        _ram(tax, "CalculatedAmount", _num(amounts["calculated"]))
    _ram(tax, "TypeCode", "VAT")
    if "basis" in amounts:
        _ram(tax, "BasisAmount", _num(amounts["basis"]))
    _ram(tax, "CategoryCode", category)
    if rate is not None:
        _ram(tax, "RateApplicablePercent", _num(rate))


def _cii_party(parent: El, tag: str, party: Party) -> None:
    node = _ram(parent, tag)
    if party.name:
        _ram(node, "Name", party.name)
    a = party.address
    if a is not None and a.country:  # the schema requires a country in every address
        addr = _ram(node, "PostalTradeAddress")
        if a.postcode:
            _ram(addr, "PostcodeCode", a.postcode)
        if a.street:
            _ram(addr, "LineOne", a.street)
        if a.city:
            _ram(addr, "CityName", a.city)
        _ram(addr, "CountryID", a.country)
    if party.vat_id:
        _ram(_ram(node, "SpecifiedTaxRegistration"), "ID", party.vat_id, schemeID="VA")


def _cii_line(tx: El, line: Line) -> None:
    item = _ram(tx, "IncludedSupplyChainTradeLineItem")
    _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", str(line.line_no))
    product = _ram(item, "SpecifiedTradeProduct")
    if line.product_code:
        _ram(product, "SellerAssignedID", line.product_code)
    _ram(product, "Name", line.description)
    agreement = _ram(item, "SpecifiedLineTradeAgreement")
    _ram(_ram(agreement, "NetPriceProductTradePrice"), "ChargeAmount", _num(line.unit_price))
    qty_attrs = {"unitCode": line.unit} if line.unit else {}
    delivery = _ram(item, "SpecifiedLineTradeDelivery")
    _ram(delivery, "BilledQuantity", _num(line.quantity), **qty_attrs)
    settle = _ram(item, "SpecifiedLineTradeSettlement")
    _cii_tax(settle, line.tax_category, line.tax_rate, {})
    summation = _ram(settle, "SpecifiedTradeSettlementLineMonetarySummation")
    _ram(summation, "LineTotalAmount", _num(line.amount))


def _cii_settlement(tx: El, doc: EInvoice) -> None:
    settlement = _ram(tx, "ApplicableHeaderTradeSettlement")
    _ram(settlement, "InvoiceCurrencyCode", doc.currency)
    if doc.iban:
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", PAYMENT_MEANS_IBAN)
        _ram(_ram(means, "PayeePartyCreditorFinancialAccount"), "IBANID", doc.iban)
    for t in doc.tax_breakdown:
        _cii_tax(settlement, t.category, t.rate, {"calculated": t.amount, "basis": t.base})
    if doc.payment_terms or doc.due_date:
        terms = _ram(settlement, "SpecifiedTradePaymentTerms")
        if doc.payment_terms:
            _ram(terms, "Description", doc.payment_terms)
        if doc.due_date:
            _cii_date(terms, "DueDateDateTime", doc.due_date)
    money = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(money, "LineTotalAmount", _num(doc.line_total))
    _ram(money, "TaxBasisTotalAmount", _num(doc.tax_basis))
    _ram(money, "TaxTotalAmount", _num(doc.tax), currencyID=doc.currency)
    _ram(money, "GrandTotalAmount", _num(doc.total))
    if doc.prepaid:
        _ram(money, "TotalPrepaidAmount", _num(doc.prepaid))
    _ram(money, "DuePayableAmount", _num(doc.amount_due))


def to_cii(doc: EInvoice) -> bytes:
    """The invoice as a CII ``CrossIndustryInvoice`` (Factur-X/ZUGFeRD EN 16931 profile)."""
    root = etree.Element(
        f"{{{RSM}}}CrossIndustryInvoice",
        nsmap={"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT},
    )
    context = _sub(root, RSM, "ExchangedDocumentContext")
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", EN16931)
    header = _sub(root, RSM, "ExchangedDocument")
    _ram(header, "ID", doc.number)
    _ram(header, "TypeCode", doc.type_code)
    _cii_date(header, "IssueDateTime", doc.issue_date)
    for note in doc.notes:
        _ram(_ram(header, "IncludedNote"), "Content", note)
    tx = _sub(root, RSM, "SupplyChainTradeTransaction")
    for line in doc.lines:
        _cii_line(tx, line)
    agreement = _ram(tx, "ApplicableHeaderTradeAgreement")
    _cii_party(agreement, "SellerTradeParty", doc.seller)
    _cii_party(agreement, "BuyerTradeParty", doc.buyer)
    if doc.po_number:
        _ram(_ram(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID", doc.po_number)
    _ram(tx, "ApplicableHeaderTradeDelivery")
    _cii_settlement(tx, doc)
    return _serialize(root)


def render(doc: EInvoice, fmt: EInvoiceFormat) -> bytes:
    """The e-invoice in ``fmt`` (``ubl`` or ``cii``)."""
    return to_ubl(doc) if fmt == "ubl" else to_cii(doc)
