"""Purchase-order matching: 2-way (invoice to PO) and 3-way (with goods receipts), per line.

Frame contracts (amounts and quantities as numbers or numeric strings):

* ``invoices``: ``invoice_id, vendor_id, po_number, total, currency``
* ``purchase_orders``: ``po_number, vendor_id, total, currency``, optional ``status``
  (``open`` | ``closed``) and ``invoiced`` (amount already invoiced against the PO)
* ``invoice_lines`` (optional): ``invoice_id, line_no, quantity, unit_price``, optional
  ``product_code, description``
* ``po_lines`` (optional): ``po_number, line_no, quantity, unit_price``, optional
  ``product_code, description``
* ``receipts`` (optional, switches to 3-way): ``po_number, line_no, quantity_received``

PO numbers match exactly after normalization (case, punctuation, leading zeros ignored), else
fuzzily (``PO_FUZZY_MIN`` on the normalized numbers) within the same vendor. Amounts are within
tolerance when ``|a - b| <= max(profile.amount_tolerance_abs, profile.amount_tolerance_pct % of
the PO value)``; quantities when within ``profile.quantity_tolerance_pct`` %. Edges count as
within. ``match_purchase_orders`` returns ``(headers, lines)``:

* headers: ``invoice_id, po_number, match_type`` (exact | fuzzy | none), ``mode`` (2-way |
  3-way), ``status`` (matched | exception), ``exceptions`` (list of ``POException`` values),
  ``reason``
* lines: ``invoice_id, line_no, po_number, po_line_no, exception`` (a ``POException`` value),
  ``reason`` (one row per line exception; lines that match cleanly do not appear)
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from core.errors import ValidationFailed
from core.matching.profile import MatchProfile

PO_FUZZY_MIN = 90.0
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
DESCRIPTION_MIN = 80.0


class POException(str, Enum):
    """Typed PO-match exceptions (stable values, shown to reviewers)."""

    po_not_found = "po_not_found"
    vendor_mismatch = "vendor_mismatch"
    currency_mismatch = "currency_mismatch"
    amount_variance = "amount_variance"
    po_closed = "po_closed"
    po_exhausted = "po_exhausted"
    unmatched_line = "unmatched_line"
    price_variance = "price_variance"
    quantity_over_order = "quantity_over_order"
    quantity_over_receipt = "quantity_over_receipt"


def normalize_number(value: Any) -> str:
    """Document numbers: lower case, punctuation and spaces dropped, leading zeros dropped."""
    parts = re.findall(r"[0-9a-z]+", str(value or "").lower())
    return "".join(_LEADING_ZEROS.sub("", part) for part in parts)


def within(actual: float, expected: float, pct: float, absolute: float) -> bool:
    """``|actual - expected| <= max(absolute, pct % of |expected|)``, edges included."""
    tolerance = max(absolute, abs(expected) * pct / 100)
    return abs(actual - expected) <= tolerance + 1e-9


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationFailed(f"{what} is missing column(s): {', '.join(missing)}")


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _find_po(invoice: dict[str, Any], pos: pd.DataFrame) -> tuple[int | None, str]:
    number = normalize_number(invoice.get("po_number"))
    if not number:
        return None, "none"
    exact = pos.index[pos["_n"] == number].tolist()
    if exact:
        same_vendor = [i for i in exact if pos.at[i, "vendor_id"] == invoice.get("vendor_id")]
        return (same_vendor or exact)[0], "exact"
    candidates = pos[pos["vendor_id"] == invoice.get("vendor_id")]
    if candidates.empty:
        return None, "none"
    scores = [fuzz.ratio(number, n) for n in candidates["_n"]]
    best = int(np.argmax(scores))
    if scores[best] >= PO_FUZZY_MIN:
        return int(candidates.index[best]), "fuzzy"
    return None, "none"


def match_purchase_orders(
    invoices: pd.DataFrame,
    purchase_orders: pd.DataFrame,
    profile: MatchProfile | None = None,
    *,
    invoice_lines: pd.DataFrame | None = None,
    po_lines: pd.DataFrame | None = None,
    receipts: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2-way or 3-way match of invoices to POs; see the module docstring for the frames."""
    profile = profile or MatchProfile()
    _require(invoices, ("invoice_id", "vendor_id", "po_number", "total", "currency"), "invoices")
    _require(purchase_orders, ("po_number", "vendor_id", "total", "currency"), "purchase_orders")
    pos = purchase_orders.reset_index(drop=True).copy()
    pos["_n"] = [normalize_number(v) for v in pos["po_number"]]
    mode = "3-way" if receipts is not None else "2-way"
    headers: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    for invoice in invoices.to_dict("records"):
        found, how = _find_po(invoice, pos)
        if found is None:
            headers.append(_header(invoice, None, how, mode, [POException.po_not_found]))
            continue
        po = pos.loc[found]
        problems = _header_checks(invoice, po, profile)
        if invoice_lines is not None and po_lines is not None:
            found_lines = _line_checks(invoice, po, invoice_lines, po_lines, receipts, profile)
            line_rows.extend(found_lines)
            codes = {r["exception"] for r in found_lines}
            problems.extend(e for e in POException if e.value in codes)
        headers.append(_header(invoice, po["po_number"], how, mode, problems))
    line_cols = ["invoice_id", "line_no", "po_number", "po_line_no", "exception", "reason"]
    return pd.DataFrame(headers), pd.DataFrame(line_rows, columns=line_cols)


def _header_checks(
    invoice: dict[str, Any], po: pd.Series, profile: MatchProfile
) -> list[POException]:
    problems: list[POException] = []
    if str(invoice.get("vendor_id")) != str(po["vendor_id"]):
        problems.append(POException.vendor_mismatch)
    if str(invoice.get("currency", "")).upper() != str(po["currency"]).upper():
        problems.append(POException.currency_mismatch)
    if str(po.get("status", "open") or "open").lower() == "closed":
        problems.append(POException.po_closed)
    total, po_total = _num(invoice["total"]), _num(po["total"])
    invoiced = _num(po.get("invoiced", 0) or 0)
    remaining = po_total - (0.0 if np.isnan(invoiced) else invoiced)
    pct, absolute = profile.amount_tolerance_pct, profile.amount_tolerance_abs
    if invoiced and remaining <= max(absolute, abs(po_total) * pct / 100) and total > 0:
        problems.append(POException.po_exhausted)
    elif not within(total, remaining, pct, absolute):
        problems.append(POException.amount_variance)
    return problems


def _line_checks(
    invoice: dict[str, Any],
    po: pd.Series,
    invoice_lines: pd.DataFrame,
    po_lines: pd.DataFrame,
    receipts: pd.DataFrame | None,
    profile: MatchProfile,
) -> list[dict[str, Any]]:
    mine = invoice_lines[invoice_lines["invoice_id"] == invoice["invoice_id"]]
    ordered = po_lines[
        po_lines["po_number"].map(normalize_number) == normalize_number(po["po_number"])
    ]
    received: dict[Any, float] = {}
    if receipts is not None:
        rec = receipts[
            receipts["po_number"].map(normalize_number) == normalize_number(po["po_number"])
        ]
        for line_no, qty in zip(rec["line_no"], rec["quantity_received"], strict=True):
            received[str(line_no)] = received.get(str(line_no), 0.0) + _num(qty)
    out: list[dict[str, Any]] = []
    for line in mine.to_dict("records"):
        target = _pair_line(line, ordered)
        base = {
            "invoice_id": invoice["invoice_id"],
            "line_no": line["line_no"],
            "po_number": po["po_number"],
        }
        if target is None:
            out.append(
                {
                    **base,
                    "po_line_no": None,
                    "exception": POException.unmatched_line.value,
                    "reason": "no PO line with this product code or description",
                }
            )
            continue
        base["po_line_no"] = target["line_no"]
        qty, price = _num(line["quantity"]), _num(line["unit_price"])
        if not within(price, _num(target["unit_price"]), profile.amount_tolerance_pct, 0.0):
            out.append(
                {
                    **base,
                    "exception": POException.price_variance.value,
                    "reason": f"unit price {price:g} vs PO {_num(target['unit_price']):g}",
                }
            )
        qpct = profile.quantity_tolerance_pct
        limit = _num(target["quantity"])
        if qty > limit * (1 + qpct / 100) + 1e-9:
            out.append(
                {
                    **base,
                    "exception": POException.quantity_over_order.value,
                    "reason": f"quantity {qty:g} exceeds ordered {limit:g}",
                }
            )
        if receipts is not None:
            got = received.get(str(target["line_no"]), 0.0)
            if qty > got * (1 + qpct / 100) + 1e-9:
                out.append(
                    {
                        **base,
                        "exception": POException.quantity_over_receipt.value,
                        "reason": f"quantity {qty:g} exceeds received {got:g}",
                    }
                )
    return out


def _pair_line(line: dict[str, Any], ordered: pd.DataFrame) -> dict[str, Any] | None:
    if ordered.empty:
        return None
    code = str(line.get("product_code") or "").strip().lower()
    if code and "product_code" in ordered.columns:
        hits = ordered[ordered["product_code"].astype(str).str.strip().str.lower() == code]
        if not hits.empty:
            return dict(hits.iloc[0])
    text = str(line.get("description") or "")
    if text and "description" in ordered.columns:
        scores = [
            fuzz.token_set_ratio(text, str(d), processor=default_process)
            for d in ordered["description"]
        ]
        best = int(np.argmax(scores))
        if scores[best] >= DESCRIPTION_MIN:
            return dict(ordered.iloc[best])
    return None


def _header(
    invoice: dict[str, Any], po_number: Any, how: str, mode: str, problems: list[POException]
) -> dict[str, Any]:
    if po_number is None:
        reason = (
            f"no purchase order {invoice.get('po_number')!r} for vendor {invoice.get('vendor_id')}"
        )
    elif problems:
        reason = f"{how} PO match {po_number}; exceptions: " + ", ".join(p.value for p in problems)
    else:
        reason = f"{how} PO match {po_number}; vendor, currency and amounts within tolerance"
    return {
        "invoice_id": invoice["invoice_id"],
        "po_number": po_number,
        "match_type": how,
        "mode": mode,
        "status": "exception" if problems else "matched",
        "exceptions": [p.value for p in problems],
        "reason": reason,
    }
