"""Line-level PO matching: invoice lines <-> PO lines <-> goods-receipt lines, with tolerances.

Each invoice line is paired with a PO line by product code, else by description (rapidfuzz
``token_set_ratio`` >= ``DESCRIPTION_MIN``). Then, per paired line, with ``q%`` =
``profile.quantity_tolerance_pct`` and ``p%`` = ``profile.amount_tolerance_pct``:

* ``line.price_variance``: unit price outside ``p%`` of the PO line's;
* ``line.over_billed_quantity``: what was billed for the PO line so far (earlier invoices,
  earlier lines of this one, and this line) exceeds the ordered quantity by more than ``q%``;
* ``line.not_received`` (3-way only): the same billed quantity exceeds what the goods receipts
  say arrived by more than ``q%`` (partly received, or not at all);
* ``line.no_po_line``, ``line.quantity_missing``, ``line.price_missing``: nothing to check
  against, which a person must look at.

A line can carry several exceptions (over-billed *and* not received); each is one row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from core.matching.exceptions import ExceptionCode
from core.matching.profile import MatchProfile

DESCRIPTION_MIN = 80.0
LINE_COLUMNS = (
    "invoice_id",
    "line_no",
    "po_number",
    "po_line_no",
    "exception",
    "reason",
    "quantity",
    "unit_price",
    "ordered",
    "received",
    "billed_before",
    "po_unit_price",
)


def num(value: Any) -> float:
    """A number from a cell (``nan`` when empty or not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _qty(value: float) -> str:
    return f"{value:g}"


def _price(value: float) -> str:
    return f"{value:,.2f}" if abs(value - round(value, 2)) < 1e-9 else f"{value:,.4g}"


def _over(value: float, limit: float, pct: float) -> bool:
    return value > limit * (1 + pct / 100) + 1e-9


def pair_line(line: dict[str, Any], ordered: pd.DataFrame) -> dict[str, Any] | None:
    """The PO line an invoice line bills: same product code, else the most similar description."""
    if ordered.empty:
        return None
    code = str(line.get("product_code") or "").strip().lower()
    if code and "product_code" in ordered.columns:
        hits = ordered[
            ordered["product_code"].fillna("").astype(str).str.strip().str.lower() == code
        ]
        if not hits.empty:
            return dict(hits.iloc[0])
    text = str(line.get("description") or "")
    if text and "description" in ordered.columns:
        scores = [
            fuzz.token_set_ratio(text, str(d or ""), processor=default_process)
            for d in ordered["description"]
        ]
        best = int(np.argmax(scores))
        if scores[best] >= DESCRIPTION_MIN:
            return dict(ordered.iloc[best])
    return None


def _received(receipts: pd.DataFrame | None) -> dict[str, float] | None:
    if receipts is None:
        return None
    out: dict[str, float] = {}
    if receipts.empty:
        return out
    for line_no, qty in zip(receipts["line_no"], receipts["quantity_received"], strict=True):
        value = num(qty)
        out[str(line_no)] = out.get(str(line_no), 0.0) + (0.0 if np.isnan(value) else value)
    return out


def _billed(billed_lines: pd.DataFrame | None, ordered: pd.DataFrame) -> dict[str, float]:
    """Quantities earlier invoices billed per PO line (paired as invoice lines are)."""
    out: dict[str, float] = {}
    if billed_lines is None or billed_lines.empty:
        return out
    for line in billed_lines.to_dict("records"):
        target = pair_line(line, ordered)
        qty = num(line.get("quantity"))
        if target is not None and not np.isnan(qty):
            key = str(target["line_no"])
            out[key] = out.get(key, 0.0) + qty
    return out


def line_checks(
    invoice_id: Any,
    po_number: Any,
    lines: pd.DataFrame,
    ordered: pd.DataFrame,
    receipts: pd.DataFrame | None,
    billed_lines: pd.DataFrame | None,
    profile: MatchProfile,
) -> list[dict[str, Any]]:
    """One row per exception of ``lines`` (one invoice's) against one PO's lines and receipts."""
    received = _received(receipts)
    billed = _billed(billed_lines, ordered)
    qpct, ppct = profile.quantity_tolerance_pct, profile.amount_tolerance_pct
    out: list[dict[str, Any]] = []
    for line in lines.sort_values("line_no").to_dict("records"):
        qty, price = num(line.get("quantity")), num(line.get("unit_price"))
        amount = num(line.get("amount"))
        if np.isnan(price) and not np.isnan(amount) and not np.isnan(qty) and qty:
            price = amount / qty
        row: dict[str, Any] = {
            "invoice_id": invoice_id,
            "line_no": line["line_no"],
            "po_number": po_number,
            "po_line_no": None,
            "quantity": None if np.isnan(qty) else qty,
            "unit_price": None if np.isnan(price) else price,
            "ordered": None,
            "received": None,
            "billed_before": None,
            "po_unit_price": None,
        }

        def add(code: ExceptionCode, reason: str, row: dict[str, Any] = row) -> None:
            out.append({**row, "exception": code.value, "reason": reason})

        target = pair_line(line, ordered)
        if target is None:
            add(ExceptionCode.no_po_line, f"no line of PO {po_number} has this product or text")
            continue
        key = str(target["line_no"])
        limit, po_price = num(target.get("quantity")), num(target.get("unit_price"))
        before = billed.get(key, 0.0)
        got = None if received is None else received.get(key, 0.0)
        row.update(
            po_line_no=target["line_no"],
            ordered=None if np.isnan(limit) else limit,
            received=got,
            billed_before=before,
            po_unit_price=None if np.isnan(po_price) else po_price,
        )
        where = f"PO {po_number} line {target['line_no']}"
        if np.isnan(price):
            add(ExceptionCode.price_missing, f"no unit price to compare with {where}")
        elif not np.isnan(po_price) and abs(price - po_price) > abs(po_price) * ppct / 100 + 1e-9:
            change = f" ({(price - po_price) / po_price:+.1%})" if po_price else ""
            add(
                ExceptionCode.price_variance,
                f"unit price {_price(price)} vs {_price(po_price)} on {where}{change},"
                f" tolerance {ppct:g}%",
            )
        if np.isnan(qty):
            add(ExceptionCode.quantity_missing, f"no quantity to compare with {where}")
            continue
        total = before + qty
        billed[key] = total
        earlier = f" ({_qty(before)} billed before)" if before else ""
        if not np.isnan(limit) and _over(total, limit, qpct):
            add(
                ExceptionCode.over_billed_quantity,
                f"billed {_qty(total)}{earlier} but {_qty(limit)} ordered on {where}",
            )
        if got is not None and _over(total, got, qpct):
            missing = total - got
            add(
                ExceptionCode.not_received,
                f"billed {_qty(total)}{earlier} but only {_qty(got)} received on {where}"
                f" ({_qty(missing)} not received yet)",
            )
    return out
