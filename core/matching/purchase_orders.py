"""Purchase-order matching: 2-way (invoice to PO) and 3-way (with goods receipts), per line.

Frame contracts (amounts and quantities as numbers or numeric strings):

* ``invoices``: ``invoice_id, vendor_id, po_number, total, currency`` (``vendor_id`` may be
  empty when the vendor is not known yet: the vendor check is then skipped)
* ``purchase_orders``: ``po_number, vendor_id, total, currency``, optional ``status``
  (``open`` | ``closed``) and ``invoiced`` (amount already invoiced against the PO)
* ``invoice_lines`` (optional): ``invoice_id, line_no, quantity, unit_price``, optional
  ``product_code, description, amount`` (a missing unit price is ``amount / quantity``)
* ``po_lines`` (optional): ``po_number, line_no, quantity, unit_price``, optional
  ``product_code, description``
* ``receipts`` (optional, switches to 3-way): ``po_number, line_no, quantity_received``
* ``billed_lines`` (optional): lines of *earlier* invoices against the POs, ``po_number,
  quantity`` and ``product_code``/``description`` (paired with PO lines by the same rule), so
  that what was billed before counts against what was ordered and received

PO numbers match exactly after normalization (case, punctuation, leading zeros ignored), else
fuzzily (``PO_FUZZY_MIN`` on the normalized numbers) within the same vendor. Amounts are within
tolerance when ``|a - b| <= max(profile.amount_tolerance_abs, profile.amount_tolerance_pct % of
the PO value)``; unit prices within ``profile.amount_tolerance_pct`` %; quantities within
``profile.quantity_tolerance_pct`` %. Edges count as within. With lines to compare, the total
only has to stay within what is left of the PO (partial invoices are normal, the lines are
checked one by one); without lines it must equal what is left. ``match_purchase_orders``
returns ``(headers, lines)``:

* headers: ``invoice_id, po_number, match_type`` (exact | fuzzy | none), ``mode`` (header |
  2-way | 3-way), ``status`` (matched | exception), ``exceptions`` (list of ``ExceptionCode``
  values: the PO's own and its lines'), ``reason``, ``details`` (the PO's own exceptions as
  ``{"code", "reason"}``)
* lines: one row per line exception (lines that match cleanly do not appear) with the columns
  of ``po_lines.LINE_COLUMNS``: ``exception`` is an ``ExceptionCode`` value, ``reason`` says it
  with the figures
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from core.errors import ValidationFailed
from core.matching.exceptions import ExceptionCode
from core.matching.po_lines import LINE_COLUMNS, line_checks, num
from core.matching.profile import MatchProfile

POException = ExceptionCode  # the former name of the codes
PO_FUZZY_MIN = 90.0
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value) == ""


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


def find_purchase_order(
    po_number: Any, vendor_id: Any, purchase_orders: pd.DataFrame
) -> dict[str, Any] | None:
    """The row of ``purchase_orders`` that ``po_number`` names, by the rule
    ``match_purchase_orders`` uses (exact after normalization, the vendor's own first, else
    fuzzy within the vendor); None when no PO fits."""
    pos = purchase_orders.reset_index(drop=True).copy()
    pos["_n"] = [normalize_number(v) for v in pos["po_number"]]
    found, _ = _find_po({"po_number": po_number, "vendor_id": vendor_id}, pos)
    if found is None:
        return None
    return {k: v for k, v in pos.loc[found].items() if k != "_n"}


def match_purchase_orders(
    invoices: pd.DataFrame,
    purchase_orders: pd.DataFrame,
    profile: MatchProfile | None = None,
    *,
    invoice_lines: pd.DataFrame | None = None,
    po_lines: pd.DataFrame | None = None,
    receipts: pd.DataFrame | None = None,
    billed_lines: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2-way or 3-way match of invoices to POs; see the module docstring for the frames."""
    profile = profile or MatchProfile()
    _require(invoices, ("invoice_id", "vendor_id", "po_number", "total", "currency"), "invoices")
    _require(purchase_orders, ("po_number", "vendor_id", "total", "currency"), "purchase_orders")
    pos = purchase_orders.reset_index(drop=True).copy()
    pos["_n"] = [normalize_number(v) for v in pos["po_number"]]
    with_lines = invoice_lines is not None and po_lines is not None
    mode = ("3-way" if receipts is not None else "2-way") if with_lines else "header"
    headers: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    for invoice in invoices.to_dict("records"):
        found, how = _find_po(invoice, pos)
        if found is None:
            problem = (
                ExceptionCode.po_not_found,
                f"no purchase order {invoice.get('po_number')!r} in the purchase order list",
            )
            headers.append(_header(invoice, None, how, mode, [problem], []))
            continue
        po = pos.loc[found]
        mine: pd.DataFrame | None = None
        if with_lines:
            assert invoice_lines is not None and po_lines is not None
            mine = invoice_lines[invoice_lines["invoice_id"] == invoice["invoice_id"]]
        problems = _header_checks(invoice, po, profile, lines_checked=mine is not None)
        found_lines: list[dict[str, Any]] = []
        if mine is not None:
            assert po_lines is not None
            key = normalize_number(po["po_number"])
            found_lines = line_checks(
                invoice["invoice_id"],
                po["po_number"],
                mine,
                _of_po(po_lines, key),
                None if receipts is None else _of_po(receipts, key),
                None if billed_lines is None else _of_po(billed_lines, key),
                profile,
            )
            line_rows.extend(found_lines)
        headers.append(_header(invoice, po["po_number"], how, mode, problems, found_lines))
    return pd.DataFrame(headers), pd.DataFrame(line_rows, columns=list(LINE_COLUMNS))


def _of_po(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of ``frame`` that belong to the PO whose normalized number is ``key``."""
    if frame.empty:
        return frame
    return frame[frame["po_number"].map(normalize_number) == key]


def _header_checks(
    invoice: dict[str, Any], po: pd.Series, profile: MatchProfile, *, lines_checked: bool
) -> list[tuple[ExceptionCode, str]]:
    problems: list[tuple[ExceptionCode, str]] = []
    mine, theirs = invoice.get("vendor_id"), po["vendor_id"]
    if not _blank(mine) and not _blank(theirs) and str(mine) != str(theirs):
        problems.append(
            (ExceptionCode.vendor_mismatch, f"PO {po['po_number']} was ordered from another vendor")
        )
    currency, po_currency = str(invoice.get("currency") or ""), str(po["currency"] or "")
    if currency and po_currency and currency.upper() != po_currency.upper():
        problems.append(
            (
                ExceptionCode.currency_mismatch,
                f"invoice in {currency.upper()}, PO {po['po_number']} in {po_currency.upper()}",
            )
        )
    if str(po.get("status", "open") or "open").lower() == "closed":
        problems.append((ExceptionCode.po_closed, f"PO {po['po_number']} is closed"))
    total, po_total = num(invoice["total"]), num(po["total"])
    if np.isnan(total) or np.isnan(po_total):
        return problems
    invoiced = num(po.get("invoiced", 0) or 0)
    invoiced = 0.0 if np.isnan(invoiced) else invoiced
    remaining = po_total - invoiced
    pct, absolute = profile.amount_tolerance_pct, profile.amount_tolerance_abs
    slack = max(absolute, abs(po_total) * pct / 100)
    if invoiced and remaining <= slack and total > 0:
        problems.append(
            (
                ExceptionCode.po_exhausted,
                f"PO {po['po_number']} total {po_total:,.2f} is already invoiced"
                f" ({invoiced:,.2f} on earlier invoices)",
            )
        )
    elif (
        (total > remaining + slack + 1e-9)
        if lines_checked
        else not within(total, remaining, pct, absolute)
    ):
        left = f" of which {remaining:,.2f} is left" if invoiced else ""
        problems.append(
            (
                ExceptionCode.amount_variance,
                f"invoice total {total:,.2f} vs PO {po['po_number']} total {po_total:,.2f}"
                f"{left} (tolerance {slack:,.2f})",
            )
        )
    return problems


def _header(
    invoice: dict[str, Any],
    po_number: Any,
    how: str,
    mode: str,
    problems: list[tuple[ExceptionCode, str]],
    line_rows: list[dict[str, Any]],
) -> dict[str, Any]:
    codes = [c.value for c, _ in problems]
    codes += [c.value for c in ExceptionCode if c.value in {r["exception"] for r in line_rows}]
    if po_number is None:
        reason = problems[0][1]
    elif codes:
        counted = f"; {len(line_rows)} line exception(s)" if line_rows else ""
        reason = f"PO {po_number} found ({how}, {mode}); exceptions: {', '.join(codes)}{counted}"
    else:
        checked = {"header": "amounts", "2-way": "lines", "3-way": "lines and receipts"}[mode]
        reason = (
            f"PO {po_number} found ({how}, {mode}); vendor, currency and {checked} within tolerance"
        )
    return {
        "invoice_id": invoice["invoice_id"],
        "po_number": po_number,
        "match_type": how,
        "mode": mode,
        "status": "exception" if codes else "matched",
        "exceptions": codes,
        "reason": reason,
        "details": [{"code": c.value, "reason": why} for c, why in problems],
    }
