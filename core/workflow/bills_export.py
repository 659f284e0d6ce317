"""Bills as a CSV file for Xero's bill import (Business > Bills to pay > Import).

One row per invoice line, in the column order of Xero's bill import template; rows of one bill
share the contact, number and dates, and Xero groups them into one draft bill. Amounts are net
(choose "tax exclusive" when importing), dates day-first (UK/AU/NZ organisations) unless
``date_order="mdy"`` (US). ``AccountCode`` and ``TaxType`` name entries of the organisation's own
chart of accounts and tax rates, so they come from the caller; left empty, they are completed in
Xero before approving. Text cells that a spreadsheet would read as a formula get a leading ``'``,
as in the other exports. See docs/integration.md for a sample.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from core.workflow.einvoice_model import CENT, vat_country
from core.workflow.exports import neutralise

XERO_BILL_COLUMNS: tuple[str, ...] = (
    "*ContactName", "EmailAddress", "POAddressLine1", "POAddressLine2", "POAddressLine3",
    "POAddressLine4", "POCity", "PORegion", "POPostalCode", "POCountry", "*InvoiceNumber",
    "*InvoiceDate", "*DueDate", "Total", "InventoryItemCode", "Description", "*Quantity",
    "*UnitAmount", "*AccountCode", "*TaxType", "TaxAmount", "TrackingName1", "TrackingOption1",
    "TrackingName2", "TrackingOption2", "Currency",
)  # fmt: skip
MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class BillsOptions:
    """What only the importing organisation knows: its account code, tax rate name, date order."""

    account_code: str = ""
    tax_type: str = ""
    date_order: Literal["dmy", "mdy"] = "dmy"

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return ""
        return value.strftime("%d/%m/%Y" if self.date_order == "dmy" else "%m/%d/%Y")


def _money(value: Any) -> str:
    return "" if value is None else format(Decimal(str(value)), "f")


def _text(value: Any) -> str:
    return "" if value is None else neutralise(str(value))


def _line_tax(amount: Any, rate: Any) -> str:
    if amount is None or rate is None:
        return ""
    return _money((Decimal(str(amount)) * Decimal(str(rate)) / 100).quantize(CENT))


def bill_rows(
    invoice: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], options: BillsOptions
) -> list[dict[str, str]]:
    """The CSV rows of one bill: one per line, or one summary row when it has no lines."""
    due = invoice.get("due_date") or invoice.get("invoice_date")  # Xero requires a due date
    head = {
        "*ContactName": _text(invoice.get("matched_vendor_name") or invoice.get("vendor_name")),
        "POCountry": vat_country(invoice.get("vendor_vat_id")) or "",
        "*InvoiceNumber": _text(invoice.get("invoice_number")),
        "*InvoiceDate": options.date(invoice.get("invoice_date")),
        "*DueDate": options.date(due),
        "Total": _money(invoice.get("total")),
        "*AccountCode": _text(options.account_code),
        "*TaxType": _text(options.tax_type),
        "Currency": _text(invoice.get("currency")),
    }
    if not lines:
        net = invoice.get("subtotal")
        if net is None and invoice.get("total") is not None:
            net = Decimal(str(invoice["total"])) - Decimal(str(invoice.get("tax") or 0))
        return [
            {
                **head,
                "Description": _text(f"Invoice {invoice.get('invoice_number') or ''}".strip()),
                "*Quantity": "1",
                "*UnitAmount": _money(net),
                "TaxAmount": _money(invoice.get("tax")),
            }
        ]
    rows = []
    for line in lines:
        quantity = line.get("quantity")
        unit_amount = line.get("unit_price")
        if unit_amount is None:  # Xero needs a unit amount: the line amount for one unit
            quantity, unit_amount = 1, line.get("amount")
        rows.append(
            {
                **head,
                "InventoryItemCode": _text(line.get("product_code")),
                "Description": _text(line.get("description")),
                "*Quantity": _money(quantity if quantity is not None else 1),
                "*UnitAmount": _money(unit_amount),
                "TaxAmount": _line_tax(line.get("amount"), line.get("tax_rate")),
            }
        )
    return rows


def to_xero_bills(
    invoices: Iterable[Mapping[str, Any]],
    lines: Iterable[Mapping[str, Any]],
    options: BillsOptions | None = None,
) -> bytes:
    """The CSV file (UTF-8, no BOM, CRLF) of all ``invoices`` with their ``lines``."""
    options = options or BillsOptions()
    by_invoice: dict[Any, list[Mapping[str, Any]]] = {}
    for line in lines:
        by_invoice.setdefault(line["invoice_id"], []).append(line)
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=XERO_BILL_COLUMNS, lineterminator="\r\n", restval="", extrasaction="raise"
    )
    writer.writeheader()
    for invoice in invoices:
        ordered = sorted(by_invoice.get(invoice["id"], []), key=lambda r: r.get("line_no") or 0)
        writer.writerows(bill_rows(invoice, ordered, options))
    return buf.getvalue().encode("utf-8")
