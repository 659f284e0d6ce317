"""What a reviewer's screen shows about one invoice: each field's value as typed, whether it needs a
look and why, where on the page it came from, and what a decision moves to next.

Pure functions of the records the workflow returns (no database, no UI): the console renders
them, the tests check them. The rules: a field is flagged when a failed check names it, when it
was read with low confidence, or when a required field is missing; an optional field that the
document does not carry (IBAN, VAT id...) is not flagged. Money shows with two decimals.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.db.records import ApprovalReason

LOW_CONFIDENCE = 0.6
REQUIRED_FIELDS = frozenset(
    {"vendor_name", "invoice_number", "invoice_date", "currency", "total"}
)  # fmt: skip
MONEY_FIELDS = frozenset({"line_total", "subtotal", "tax", "total", "amount_due"})
LINE_MONEY = ("unit_price", "allowance", "charge", "amount")
_WORDS = {"vat": "VAT", "iban": "IBAN", "id": "ID", "po": "PO"}


def label(name: str) -> str:
    """A field name as a reviewer reads it (``vendor_vat_id`` -> ``Vendor VAT ID``)."""
    words = [_WORDS.get(w, w) for w in name.split("_")]
    return " ".join([words[0].capitalize() if words[0].islower() else words[0], *words[1:]])


def money(value: Any, currency: str | None = None) -> str:
    """``1234.5`` -> ``1234.50`` (``1234.50 EUR`` with a currency); blank for no value."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount} {currency}" if currency else f"{amount}"


def as_text(name: str, value: Any) -> str:
    """A field's value as the review form shows it (money in two decimals, blank for none)."""
    if value is None:
        return ""
    if name in MONEY_FIELDS:
        return money(value)
    return str(value)


@dataclass(frozen=True)
class Source:
    """Where a value was read: 1-based page and its box (PDF points, top-left origin)."""

    page: int
    bbox: tuple[float, float, float, float] | None
    text: str


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    text: str  # the value as the form shows it
    confidence: float | None
    flag: str  # why it needs a look ("" when it does not)
    source: Source | None


def _source(item: Mapping[str, Any]) -> Source | None:
    evidence = item.get("evidence") or {}
    page = evidence.get("page")
    if not isinstance(page, int) or page < 1:
        return None
    box = evidence.get("bbox")
    bbox = None
    if isinstance(box, list | tuple) and len(box) == 4:
        try:
            bbox = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        except (TypeError, ValueError):
            bbox = None
    return Source(page=page, bbox=bbox, text=str(evidence.get("text") or "")[:200])


def field_views(
    names: Sequence[str],
    values: Mapping[str, Any],
    evidence: Mapping[str, Any],
    reasons: Iterable[ApprovalReason] = (),
) -> list[FieldView]:
    """One view per field: ``values`` are the invoice's current values, ``evidence`` the
    extraction's per-field confidence and evidence, ``reasons`` the approval reasons (a failed
    check names the fields it is about)."""
    named: dict[str, list[str]] = {}
    for reason in reasons:
        if reason.code.startswith("check."):
            for f in reason.fields:
                named.setdefault(f, []).append(reason.code.removeprefix("check."))
    out = []
    for name in names:
        item = evidence.get(name) or {}
        raw = item.get("confidence")
        value = values.get(name)
        present = value not in (None, "")
        # A value a person typed (it differs from what was read) has no reading confidence.
        corrected = "value" in item and as_text(name, item.get("value")) != as_text(name, value)
        if corrected:
            raw = None
        confidence = float(raw) if isinstance(raw, int | float) else None
        if name in named:
            flag = "failed check: " + ", ".join(named[name]).replace("_", " ")
        elif not present and name in REQUIRED_FIELDS:
            flag = "missing"
        elif present and confidence is not None and confidence < LOW_CONFIDENCE:
            flag = f"low confidence ({confidence:.0%})"
        else:
            flag = ""
        out.append(
            FieldView(
                name=name,
                label=label(name),
                text=as_text(name, value),
                confidence=confidence if present else None,
                flag=flag,
                source=_source(item) if present and not corrected else None,
            )
        )
    return out


def changed_fields(views: Iterable[FieldView], typed: Mapping[str, str]) -> dict[str, str]:
    """The fields whose typed text differs from what the form showed (money compared as
    amounts, so ``119`` and ``119.00`` are the same)."""
    out = {}
    for view in views:
        new = typed.get(view.name, view.text)
        if new.strip() == view.text.strip():
            continue
        if view.name in MONEY_FIELDS and money(new) == view.text and new.strip():
            continue
        out[view.name] = new
    return out


def line_rows(lines: Iterable[Any], columns: Sequence[str]) -> list[dict[str, str]]:
    """Line items as table rows of text: blank for empty cells, money with two decimals,
    quantities and rates without trailing zeros (the table edits them as typed text)."""
    rows = []
    for line in lines:
        data = line.as_dict() if hasattr(line, "as_dict") else dict(line)
        row: dict[str, str] = {}
        for c in columns:
            v = data.get(c)
            if v is None or v == "":
                row[c] = ""
            elif c in LINE_MONEY:
                row[c] = money(v)
            elif isinstance(v, Decimal):
                row[c] = f"{v.normalize():f}" if v == v.to_integral() else f"{v.normalize()}"
            else:
                row[c] = str(v)
        rows.append(row)
    return rows


def next_after(ids: Sequence[uuid.UUID], current: uuid.UUID) -> uuid.UUID | None:
    """The invoice to show after ``current`` is decided: the next in the queue, else the one
    before it, else none."""
    if current not in ids:
        return ids[0] if ids else None
    i = list(ids).index(current)
    rest = list(ids[i + 1 :]) + list(reversed(ids[:i]))
    return rest[0] if rest else None
