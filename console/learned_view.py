"""What was learned per vendor, in an operator's words (the reference-data page's tab).

The trust ladder, the aliases and the extraction hints as tables whose headings are words, not
column names; dates as "6 Dec 2026, 21:05" in UTC (the heading says so); actions as what a person
did; empty cells blank. ``WIDTHS``: column widths (pixels) so that nothing is cut at the page's
usual width.
Pure functions of the records (no Streamlit), so they are tested on their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from core.db.records import Record
from core.workflow import review_view

# What reset a vendor's ladder (the audit action that did it), as a person would say it.
RESET_WORDS = {
    "invoice.corrected": "A field was corrected",
    "invoice.lines_corrected": "Line items were corrected",
    "match.overridden": "A match was overridden",
    "match.rejected": "A match was rejected",
    "status.rejected": "An invoice was rejected",
    "approval.overridden": "Approved over the policy's blocks",
    "status.reopened": "A decision was re-opened",
}
DIRECTION_WORDS = {
    "inline": "After the label",
    "right": "Right of the label",
    "below": "Below the label",
    "region": "At its place (no label)",
}
ALIAS_KIND_WORDS = {"name": "Spelling", "vat_id": "VAT id", "iban": "IBAN"}
ALIAS_SOURCE_WORDS = {
    "learned": "Learned from a decision",
    "import": "Imported",
    "manual": "Added by hand",
}


def when(value: Any) -> str:
    """A timestamp as operators read it ('6 Dec 2026, 21:05', in UTC); '' when there is none."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return f"{value.day} {value:%b %Y, %H:%M}"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _words(mapping: dict[str, str], value: Any) -> str:
    if value is None or value == "":
        return ""
    return mapping.get(str(value), str(value).replace("_", " ").replace(".", ": "))


def _field(value: Any) -> str:
    """A hint's field as the review form names it ("po_number" -> "PO number")."""
    return review_view.label(str(value)) if value not in (None, "") else ""


def _where(direction: Any, page: Any) -> str:
    words = _words(DIRECTION_WORDS, direction)
    return f"{words}, page {page}" if words and page not in (None, "") else words


def _plain(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [r.as_dict() if isinstance(r, Record) else dict(r) for r in rows]


def _frame(rows: list[dict[str, Any]], columns: list[str], with_vendor: bool) -> pd.DataFrame:
    """The table; without its Vendor column when one vendor is shown (the picker names it)."""
    frame = pd.DataFrame(rows, columns=columns)
    return frame if with_vendor else frame.drop(columns=["Vendor"])


LADDER_HEADINGS = [
    "Vendor",
    "Clean invoices in a row",
    "Ladder",
    "Paused since (UTC)",
    "Last reset by",
    "Last reset on (UTC)",
]
ALIAS_HEADINGS = ["Vendor", "Kind", "Value", "Source", "Learned from", "Added on (UTC)"]
HINT_HEADINGS = [
    "Vendor",
    "Field",
    "Label next to the value",
    "Where",
    "Weight",
    "Confirmed",
    "Corrected again",
    "Learned from",
    "Last changed (UTC)",
]


WIDTHS = {
    "Vendor": 200,
    "Clean invoices in a row": 150,
    "Ladder": 80,
    "Paused since (UTC)": 140,
    "Last reset by": 180,
    "Last reset on (UTC)": 140,
    "Kind": 80,
    "Value": 200,
    "Source": 170,
    "Learned from": 180,
    "Added on (UTC)": 140,
    "Field": 110,
    "Label next to the value": 150,
    "Where": 160,
    "Weight": 60,
    "Confirmed": 85,
    "Corrected again": 110,
    "Last changed (UTC)": 130,
}


def ladder_frame(rows: Sequence[Any], *, with_vendor: bool = True) -> pd.DataFrame:
    """Each vendor's trust-ladder state."""
    out = []
    for r in _plain(rows):
        paused = bool(r.get("paused"))
        out.append(
            {
                "Vendor": _text(r.get("vendor_name")),
                "Clean invoices in a row": int(r.get("clean_streak") or 0),
                "Ladder": "Paused" if paused else "Running",
                "Paused since (UTC)": when(r.get("paused_at")) if paused else "",
                "Last reset by": _words(RESET_WORDS, r.get("last_reset_action")),
                "Last reset on (UTC)": when(r.get("last_reset_at")),
            }
        )
    return _frame(out, LADDER_HEADINGS, with_vendor)


def alias_frame(rows: Sequence[Any], *, with_vendor: bool = True) -> pd.DataFrame:
    """The vendors' aliases (spellings, VAT ids, IBANs)."""
    out = [
        {
            "Vendor": _text(r.get("vendor_name")),
            "Kind": _words(ALIAS_KIND_WORDS, r.get("kind")),
            "Value": _text(r.get("value")),
            "Source": _words(ALIAS_SOURCE_WORDS, r.get("source")),
            "Learned from": _text(r.get("learned_from")),
            "Added on (UTC)": when(r.get("created_at")),
        }
        for r in _plain(rows)
    ]
    return _frame(out, ALIAS_HEADINGS, with_vendor)


def hint_frame(rows: Sequence[Any], *, with_vendor: bool = True) -> pd.DataFrame:
    """The vendors' extraction hints: which field, next to which label, how well it did."""
    out = [
        {
            "Vendor": _text(r.get("vendor_name")),
            "Field": _field(r.get("field")),
            "Label next to the value": _text(r.get("anchor")),
            "Where": _where(r.get("direction"), r.get("page")),
            "Weight": float(r.get("weight") or 0),
            "Confirmed": int(r.get("agreements") or 0),
            "Corrected again": int(r.get("contradictions") or 0),
            "Learned from": _text(r.get("learned_from")),
            "Last changed (UTC)": when(r.get("updated_at")),
        }
        for r in _plain(rows)
    ]
    return _frame(out, HINT_HEADINGS, with_vendor)


def alias_choice(a: Any) -> str:
    """How an alias is named in the 'remove' picker."""
    kind = _words(ALIAS_KIND_WORDS, a.kind)
    return f"{a.vendor_name}: {kind} '{a.value}' ({_words(ALIAS_SOURCE_WORDS, a.source).lower()})"


def hint_choice(h: Any) -> str:
    """How a hint is named in the 'remove' picker."""
    where = _words(DIRECTION_WORDS, h.direction).lower()
    label = f" '{h.anchor}'" if h.anchor else ""
    return f"{h.vendor_name}: {_field(h.field)}, {where}{label}"
