"""Match decisions in words an accounts-payable clerk understands (exports, console, API).

The matcher's own reason (``matches.reason``) is written for whoever tunes it: signal names,
thresholds, profile labels, vendor ids. This turns a match row into one or two plain sentences:
what it matched, how sure it is, who decided, and what is left to do. Pure: rows in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

_DECIDED = {"confirmed": "confirmed", "overridden": "chosen by hand", "rejected": "rejected"}
_KIND = {"vendor": "Vendor", "purchase_order": "Purchase order", "duplicate": "Duplicate check"}
_PO_MISSING = re.compile(r"^PO (?P<number>.+) is not in the purchase order list$")
_PO_FOUND = re.compile(r"^PO (?P<number>.+?) found(?P<rest>.*)$")
_PO_DIFF = re.compile(r"total differs by (?P<diff>[\d.,-]+) \(> (?P<limit>[\d.,-]+)\)")
_PO_WITHIN = re.compile(r"total within (?P<limit>[\d.,-]+)")


def _score(value: Any) -> str:
    if value is None:
        return ""
    return f" (score {float(Decimal(str(value))):.0f} of 100)"


def _who(email: str | None) -> str:
    return f" by {email}" if email else ""


def _others(candidates: Sequence[Mapping[str, Any]], names: Mapping[str, str], best: Any) -> str:
    shown = [
        f"{names[str(c.get('vendor_id'))]} ({float(c.get('score') or 0):.0f})"
        for c in candidates
        if str(c.get("vendor_id")) in names and str(c.get("vendor_id")) != str(best)
    ][:2]
    return f" Other candidates: {', '.join(shown)}." if shown else ""


def _vendor(row: Mapping[str, Any], names: Mapping[str, str], who: str) -> str:
    target = row.get("target_name")
    status = str(row.get("status") or "proposed")
    if status in ("confirmed", "overridden") and target:
        return f"Vendor {_DECIDED[status]}{who}: {target}."
    if status == "rejected":
        return f"The proposed vendor was rejected{who}; the vendor must be chosen by hand."
    others = _others(row.get("candidates") or [], names, row.get("vendor_id"))
    band = row.get("band")
    if target and band == "auto":
        return f"Matched automatically to {target}{_score(row.get('score'))}."
    if target and band == "review":
        return (
            f"Probably {target}{_score(row.get('score'))}, but not certain: "
            f"a person must confirm it.{others}"
        )
    reason = str(row.get("reason") or "")
    if reason == "no vendor master":
        return "There is no vendor list to match against yet: import vendors or create one."
    if reason == "no vendor name was read":
        return "No vendor name was read from the document: type it, then match or create it."
    if "matching failed" in reason:
        return "Vendor matching did not run for this invoice: choose the vendor by hand."
    return f"No vendor in your vendor list looks like this one: choose one or create it.{others}"


def _purchase_order(row: Mapping[str, Any], who: str) -> str:
    status = str(row.get("status") or "proposed")
    reason = str(row.get("reason") or "")
    target = row.get("target_name")
    if status in ("confirmed", "overridden") and target:
        return f"Purchase order {_DECIDED[status]}{who}: {target}."
    if status == "rejected":
        return f"The purchase-order match was rejected{who}."
    missing = _PO_MISSING.match(reason)
    if missing:
        return (
            f"The PO number {missing['number']} is not in your purchase order list: "
            "correct the PO number or decide without a PO."
        )
    found = _PO_FOUND.match(reason)
    if found:
        diff = _PO_DIFF.search(found["rest"])
        if diff:
            return (
                f"Purchase order {found['number']} found, but the invoice total differs from "
                f"the order by {diff['diff']}, more than the {diff['limit']} allowed: check it."
            )
        within = _PO_WITHIN.search(found["rest"])
        tolerance = f" (within {within['limit']})" if within else ""
        return f"Purchase order {found['number']} found; the total agrees{tolerance}."
    return reason or "Purchase order matched."


def _duplicate(row: Mapping[str, Any], who: str) -> str:
    status = str(row.get("status") or "proposed")
    target = row.get("target_name") or "another invoice"
    if status == "rejected":
        return f"Checked{who}: not a duplicate of invoice {target}."
    if status == "confirmed":
        return f"Confirmed{who} as a duplicate of invoice {target}: do not pay it twice."
    reason = str(row.get("reason") or "")
    why = f" ({reason})" if reason else ""
    return f"May be a duplicate of invoice {target}{why}: check before paying."


def explain_match(
    row: Mapping[str, Any],
    *,
    vendor_names: Mapping[str, str] | None = None,
    decided_by: str | None = None,
) -> str:
    """One match row (``kind, status, band, score, target_name, reason, candidates``) in words.

    ``vendor_names`` maps vendor ids to names (for the other candidates); ``decided_by`` is the
    e-mail of whoever decided it."""
    kind = str(row.get("kind") or "")
    who = _who(decided_by)
    if kind == "vendor":
        return _vendor(row, vendor_names or {}, who)
    if kind == "purchase_order":
        return _purchase_order(row, who)
    if kind == "duplicate":
        return _duplicate(row, who)
    return f"{_KIND.get(kind, kind.replace('_', ' ').capitalize())}: {row.get('reason') or ''}"
