"""The data of one e-invoice as the UBL and CII writers need it, built from a stored invoice.

The writers (``einvoice_export``) are pure functions of an :class:`EInvoice`; this module turns
an invoice row, its lines and the extraction JSON into one, filling what the schemas require but
the invoice may lack, each fill documented here:

- no line items: one summary line (quantity 1, the tax basis as price and amount), because both
  syntaxes require at least one line;
- a line without quantity gets 1, without unit price ``amount / quantity``, without amount
  ``quantity * unit price`` (CII requires all three on every line);
- the VAT breakdown (mandatory in EN 16931) is, in this order: the extraction's breakdown when it
  adds up to the invoice's tax, the lines grouped by rate when they add up to it, else one entry
  with the invoice's tax basis and tax;
- a party address without a country gets the country of its VAT id (CII requires a country in
  every address; EN 16931 requires the seller's).

An invoice without a number, a date, a currency or a total cannot become an e-invoice: that is a
``ValidationFailed`` naming the field, to be corrected in review first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import ValidationFailed

CREDIT_NOTE_CODES = frozenset({"381", "396", "261", "262", "296", "308", "532"})
# VAT id prefixes that differ from the ISO 3166-1 country code.
_VAT_COUNTRY = {"EL": "GR", "XI": "GB"}
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_POSTCODE_CITY = re.compile(r"^(?P<postcode>(?:[A-Z]{1,2}-)?\d{4,5})\s+(?P<city>\S.*)$")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Address:
    """A postal address split the way both syntaxes store it."""

    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Party:
    """Seller or buyer: name, VAT id and address, each optional."""

    name: str | None = None
    vat_id: str | None = None
    address: Address | None = None


@dataclass(frozen=True)
class Line:
    """One invoice line with every value the syntaxes require."""

    line_no: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_category: str
    tax_rate: Decimal | None = None
    unit: str | None = None
    product_code: str | None = None


@dataclass(frozen=True)
class TaxSubtotal:
    """One VAT rate of the breakdown."""

    category: str
    rate: Decimal | None
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class EInvoice:
    """Everything the UBL and CII writers print for one invoice or credit note."""

    number: str
    type_code: str  # UNTDID 1001: 380 invoice, 381 credit note...
    issue_date: dt.date
    currency: str
    seller: Party
    buyer: Party
    line_total: Decimal
    tax_basis: Decimal
    tax: Decimal
    total: Decimal
    amount_due: Decimal
    lines: tuple[Line, ...]
    tax_breakdown: tuple[TaxSubtotal, ...]
    due_date: dt.date | None = None
    po_number: str | None = None
    iban: str | None = None
    payment_terms: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_NOTE_CODES

    @property
    def prepaid(self) -> Decimal:
        return self.total - self.amount_due


def parse_address(text: str | None, vat_id: str | None = None) -> Address | None:
    """Split ``"street, postcode city, CC"`` (the readers' own joined form); what does not fit
    the pattern stays in the street line, so nothing is lost."""
    parts = [" ".join(p.split()) for p in (text or "").split(",")]
    parts = [p for p in parts if p]
    country = parts.pop() if parts and _COUNTRY.match(parts[-1]) else None
    postcode = city = None
    if parts and (m := _POSTCODE_CITY.match(parts[-1])):
        postcode, city = m.group("postcode"), m.group("city")
        parts.pop()
    street = ", ".join(parts) or None
    country = country or vat_country(vat_id)
    if not any((street, postcode, city, country)):
        return None
    return Address(street=street, postcode=postcode, city=city, country=country)


def vat_country(vat_id: str | None) -> str | None:
    """The ISO country of an EU-style VAT id (``DE123...`` -> ``DE``, ``EL...`` -> ``GR``)."""
    prefix = (vat_id or "").strip()[:2].upper()
    if not _COUNTRY.match(prefix):
        return None
    return _VAT_COUNTRY.get(prefix, prefix)


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _extracted(extraction: Mapping[str, Any] | None, name: str) -> Any:
    """A header value from the stored extraction JSON (``{"value": ...}``), or None."""
    item = (extraction or {}).get(name)
    return item.get("value") if isinstance(item, Mapping) else None


def _required(invoice: Mapping[str, Any], name: str, label: str) -> Any:
    value = invoice.get(name)
    if value is None or value == "":
        raise ValidationFailed(
            f"the invoice has no {label}: correct it before exporting an e-invoice", field=name
        )
    return value


def category_for(rate: Decimal | None) -> str:
    """UNCL 5305 category for a rate: S (standard) above zero, Z (zero rated) at zero."""
    return "Z" if rate is not None and rate == 0 else "S"


def build_lines(rows: Sequence[Mapping[str, Any]], tax_basis: Decimal, label: str) -> list[Line]:
    """Lines with the values the syntaxes require (see the module docstring for the fills)."""
    lines: list[Line] = []
    for i, row in enumerate(rows, start=1):
        qty, price = _dec(row.get("quantity")), _dec(row.get("unit_price"))
        amount = _dec(row.get("amount"))
        qty = qty if qty not in (None, Decimal(0)) else Decimal(1)
        if price is None:
            price = (amount / qty).quantize(CENT) if amount is not None else Decimal(0)
        if amount is None:
            amount = (qty * price).quantize(CENT)
        rate = _dec(row.get("tax_rate"))
        lines.append(
            Line(
                line_no=int(row.get("line_no") or i),
                description=str(row.get("description") or f"Line {i}"),
                quantity=qty,
                unit_price=price,
                amount=amount,
                tax_category=category_for(rate),
                tax_rate=rate,
                unit=row.get("unit") or None,
                product_code=row.get("product_code") or None,
            )
        )
    if not lines:
        lines.append(
            Line(1, label, Decimal(1), tax_basis, tax_basis, category_for(None), None, None, None)
        )
    return lines


def build_breakdown(
    extraction: Mapping[str, Any] | None,
    lines: Sequence[Line],
    tax_basis: Decimal,
    tax: Decimal,
) -> list[TaxSubtotal]:
    """The VAT breakdown: extraction's if it adds up, else the lines', else one entry."""
    stored = [
        TaxSubtotal(
            category=str(t.get("category") or category_for(_dec(t.get("rate")))),
            rate=_dec(t.get("rate")),
            base=_dec(t.get("base")) or Decimal(0),
            amount=_dec(t.get("amount")) or Decimal(0),
        )
        for t in ((extraction or {}).get("tax_breakdown") or [])
        if isinstance(t, Mapping) and _dec(t.get("amount")) is not None
    ]
    if stored and sum(t.amount for t in stored) == tax and sum(t.base for t in stored) == tax_basis:
        return stored
    if lines and all(line.tax_rate is not None for line in lines):
        by_rate: dict[Decimal, Decimal] = {}
        for line in lines:
            rate = line.tax_rate if line.tax_rate is not None else Decimal(0)
            by_rate[rate] = by_rate.get(rate, Decimal(0)) + line.amount
        grouped = [
            TaxSubtotal(category_for(rate), rate, base, (base * rate / 100).quantize(CENT))
            for rate, base in sorted(by_rate.items())
        ]
        if sum(t.amount for t in grouped) == tax and sum(t.base for t in grouped) == tax_basis:
            return grouped
    overall = (tax * 100 / tax_basis).quantize(CENT) if tax_basis else None
    return [TaxSubtotal(category_for(overall), overall, tax_basis, tax)]


def from_invoice(
    invoice: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    extraction: Mapping[str, Any] | None = None,
    buyer_name: str | None = None,
) -> EInvoice:
    """The e-invoice of a stored invoice row (``invoice_repo`` shape) and its line rows.

    ``extraction`` is the stored extraction JSON (for the vendor address, payment terms, the type
    code and the VAT breakdown, which have no column); ``buyer_name`` is used when the invoice
    names no customer (the client is the buyer of the invoices it receives).
    """
    number = str(_required(invoice, "invoice_number", "invoice number"))
    issue_date = _required(invoice, "invoice_date", "invoice date")
    currency = str(_required(invoice, "currency", "currency"))
    total = _dec(invoice.get("total"))
    tax = _dec(invoice.get("tax"))
    basis = _dec(invoice.get("subtotal"))
    if total is None and basis is not None and tax is not None:
        total = basis + tax
    if total is None:
        raise ValidationFailed(
            "the invoice has no total: correct it before exporting an e-invoice", field="total"
        )
    tax = tax if tax is not None else (total - basis if basis is not None else Decimal(0))
    basis = basis if basis is not None else total - tax
    line_rows = build_lines(lines, basis, f"Invoice {number}")
    # BT-106 is the sum of the lines written (EN 16931 BR-CO-10), corrected lines included.
    line_total = sum((line.amount for line in line_rows), Decimal(0))
    code = _extracted(extraction, "document_type_code")
    if not code:
        code = "381" if invoice.get("document_type") == "credit_note" else "380"
    vendor_vat = invoice.get("vendor_vat_id") or None
    customer_vat = invoice.get("customer_vat_id") or None
    amount_due = _dec(invoice.get("amount_due"))
    return EInvoice(
        number=number,
        type_code=str(code),
        issue_date=issue_date,
        due_date=invoice.get("due_date"),
        currency=currency,
        seller=Party(
            name=invoice.get("vendor_name") or None,
            vat_id=vendor_vat,
            address=parse_address(_extracted(extraction, "vendor_address"), vendor_vat),
        ),
        buyer=Party(
            name=invoice.get("customer_name") or buyer_name or None,
            vat_id=customer_vat,
            address=parse_address(None, customer_vat),
        ),
        po_number=invoice.get("po_number") or None,
        iban=invoice.get("vendor_iban") or None,
        payment_terms=_extracted(extraction, "payment_terms") or None,
        line_total=line_total,
        tax_basis=basis,
        tax=tax,
        total=total,
        amount_due=amount_due if amount_due is not None else total,
        lines=tuple(line_rows),
        tax_breakdown=tuple(build_breakdown(extraction, line_rows, basis, tax)),
    )
