"""The purchase-order part of the matching step: 2-way / 3-way match with typed exceptions.

The invoice's PO number is looked up in the client's purchase orders (``core.matching``'s
normalized and fuzzy PO numbers). When the PO has lines and the invoice has lines, every invoice
line is matched to a PO line and, when the client records goods receipts at all, to what was
received (3-way): quantities billed before on other live invoices of the same PO count against
what was ordered and received, so a receipt is never billed twice. Tolerances come from the
client's match profile. The outcome is the ``purchase_order`` match row (band ``auto`` only
without exceptions) and the exception rows stored in ``public.match_exceptions`` right after the
``status.matched`` door call (stable codes, ``core.matching.exceptions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.db import goods_receipt_repo
from core.db.records import Invoice
from core.extraction.schema import Extraction
from core.matching.exceptions import ExceptionCode
from core.matching.profile import MatchProfile
from core.matching.purchase_orders import find_purchase_order, match_purchase_orders
from core.workflow.states import InvoiceStatus as S

# Invoices whose lines count as billed against their PO (decided or waiting for a person).
BILLED_STATUSES = (S.needs_review, S.auto_approved, S.approved, S.exported)
_EXCEPTION_FIELDS = (
    "quantity",
    "unit_price",
    "ordered",
    "received",
    "billed_before",
    "po_unit_price",
)
_STORED_AS = {"ordered": "ordered_quantity", "received": "received_quantity"}


@dataclass
class POOutcome:
    """The PO match of one invoice: its match row, band, exceptions and the PO's id."""

    band: str
    row: dict[str, Any]
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    purchase_order_id: Any = None


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return Decimal(str(round(float(value), 4)))


def _po_frame(pos: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["id", "po_number", "vendor_id", "total", "currency", "status"]
    frame = pd.DataFrame([{c: p.get(c) for c in cols} for p in pos], columns=cols)
    frame["vendor_id"] = [str(v) if v else "" for v in frame["vendor_id"]]
    return frame


def match_po(
    s: Session,
    *,
    invoice: Invoice,
    extraction: Extraction,
    vendor_id: Any,
    pos: list[dict[str, Any]],
    profile: MatchProfile,
    profile_version: int | None,
) -> POOutcome | None:
    """Match ``invoice`` to its PO by what ``extraction`` read (PO number, total, currency, lines:
    processing matches before it stores them); None without a PO number."""
    number = (extraction.po_number.value or "").strip()
    if not number:
        return None
    frame = _po_frame(pos)
    vendor = str(vendor_id) if vendor_id else ""
    po = find_purchase_order(number, vendor, frame) if not frame.empty else None
    if po is None:
        reason = f"PO {number} is not in the purchase order list"
        exception = {
            "code": ExceptionCode.po_not_found.value,
            "reason": reason,
            "profile_version": profile_version,
        }
        row = {
            "kind": "purchase_order",
            "band": "review",
            "score": Decimal("0"),
            "reason": reason,
            "profile_version": profile_version,
        }
        return POOutcome("review", row, [exception])

    lines = list(enumerate(extraction.line_items, start=1))  # numbered as processing stores them
    invoice_lines = pd.DataFrame(
        [
            {
                "invoice_id": str(invoice.id),
                "line_no": line_no,
                "product_code": line.product_code,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
            }
            for line_no, line in lines
        ],
        columns=[
            "invoice_id",
            "line_no",
            "product_code",
            "description",
            "quantity",
            "unit_price",
            "amount",
        ],
    )
    # A header-only invoice is compared with the PO total: no PO lines, receipts or billing read.
    frames: dict[str, Any] = (
        goods_receipt_repo.three_way_frames(s, invoice.client_id, po_numbers=[str(po["po_number"])])
        if lines
        else {"po_lines": [], "receipts": []}
    )
    with_lines = bool(lines) and bool(frames["po_lines"])
    billed: dict[str, Any] = (
        goods_receipt_repo.billed_against(
            s,
            invoice.client_id,
            po["id"],
            exclude_invoice_id=invoice.id,
            statuses=[st.value for st in BILLED_STATUSES],
        )
        if with_lines
        else {"lines": [], "invoiced": 0}
    )
    three_way = with_lines and goods_receipt_repo.client_has_receipts(s, invoice.client_id)
    # Without lines (a blanket or header-only order) each invoice is compared with the PO total,
    # as before; what earlier invoices billed counts line by line (2-way / 3-way).
    po_row = pd.DataFrame([{**po, "invoiced": billed["invoiced"] if with_lines else 0}])
    headers, line_rows = match_purchase_orders(
        pd.DataFrame(
            [
                {
                    "invoice_id": str(invoice.id),
                    "vendor_id": vendor,
                    "po_number": po["po_number"],
                    "total": extraction.total.value,
                    "currency": extraction.currency.value or "",
                }
            ]
        ),
        po_row,
        profile,
        invoice_lines=invoice_lines if with_lines else None,
        po_lines=pd.DataFrame(frames["po_lines"]) if with_lines else None,
        receipts=pd.DataFrame(
            frames["receipts"], columns=["po_number", "line_no", "quantity_received"]
        )
        if three_way
        else None,
        billed_lines=pd.DataFrame(billed["lines"]) if with_lines and billed["lines"] else None,
    )
    header = headers.iloc[0]
    mode = str(header["mode"])
    exceptions = [
        {
            "purchase_order_id": po["id"],
            "code": d["code"],
            "mode": mode,
            "reason": d["reason"],
            "profile_version": profile_version,
        }
        for d in header["details"]
    ]
    for r in line_rows.to_dict("records"):
        item: dict[str, Any] = {
            "purchase_order_id": po["id"],
            "code": r["exception"],
            "mode": mode,
            "line_no": int(r["line_no"]),
            "po_line_no": None if pd.isna(r["po_line_no"]) else int(r["po_line_no"]),
            "reason": r["reason"],
            "profile_version": profile_version,
        }
        for key in _EXCEPTION_FIELDS:
            item[_STORED_AS.get(key, key)] = _decimal(r[key])
        exceptions.append(item)
    band = "auto" if header["status"] == "matched" else "review"
    row = {
        "kind": "purchase_order",
        "purchase_order_id": po["id"],
        "vendor_id": po.get("vendor_id") or None,
        "score": Decimal("100") if band == "auto" else Decimal("50"),
        "band": band,
        "reason": str(header["reason"]),
        "profile_version": profile_version,
    }
    return POOutcome(band, row, exceptions, po["id"])
