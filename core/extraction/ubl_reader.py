"""UBL 2.1 reader (Peppol BIS, XRechnung UBL): ``Invoice`` and ``CreditNote`` documents."""

from __future__ import annotations

from core.extraction.einvoice_xml import (
    El,
    _amount_in,
    _dec,
    _find,
    _iso_date,
    _set,
    _set_type,
    _text,
    line_allowances,
)
from core.extraction.schema import Evidence, Extraction, LineItem, TaxLine


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
        allowance, charge = line_allowances(
            line.findall("AllowanceCharge"), indicator="ChargeIndicator", amount="Amount"
        )
        ex.line_items.append(
            LineItem(
                description=_text(line, "Item/Name") or _text(line, "Item/Description"),
                product_code=_text(line, "Item/SellersItemIdentification/ID"),
                quantity=_dec(qty),
                unit=qty.get("unitCode") if qty is not None else None,
                unit_price=_dec(line, "Price/PriceAmount"),
                tax_rate=_dec(line, "Item/ClassifiedTaxCategory/Percent"),
                amount=_dec(line, "LineExtensionAmount"),
                allowance=allowance,
                charge=charge,
                confidence=1.0,
                evidence=Evidence(page=None, text="InvoiceLine"),
            )
        )
    return ex
