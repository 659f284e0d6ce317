"""Correcting an invoice's line items under review (replace all lines, audited, version-checked)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from core.auth.models import CurrentUser
from core.db.records import Invoice
from core.db.session import user_session
from core.errors import ValidationFailed
from core.workflow.rematch import rematch_after_correction
from core.workflow.services import Services
from core.workflow.transitions import apply_change, load_editable, load_invoice

MAX_LINES = 1000
_NUMBERS = ("quantity", "unit_price", "amount", "tax_rate", "allowance", "charge")
_TEXTS = {"description": 2000, "product_code": 100, "unit": 20}


def _blank(value: Any) -> bool:
    return (
        value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""
    )


def _clean_line(number: int, line: Mapping[str, Any]) -> dict[str, Any] | None:
    """One validated line, or None for an entirely empty row (an editor's spare row)."""
    if all(_blank(line.get(k)) for k in (*_NUMBERS, *_TEXTS)):
        return None
    out: dict[str, Any] = {"line_no": number}
    for key in _NUMBERS:
        value = line.get(key)
        if _blank(value):
            out[key] = None
            continue
        try:
            parsed = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValidationFailed(
                f"line {number}: {key} must be a number",
                errors=[f"line {number}: {key} = {value!r}"],
            ) from exc
        if not parsed.is_finite() or abs(parsed) >= Decimal("1e14"):
            raise ValidationFailed(f"line {number}: {key} is out of range")
        out[key] = parsed
    for key, limit in _TEXTS.items():
        value = line.get(key)
        text = None if _blank(value) else str(value).strip()
        if text is not None and len(text) > limit:
            raise ValidationFailed(f"line {number}: {key} is longer than {limit} characters")
        out[key] = text
    return out


def correct_lines(
    *,
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    lines: Sequence[Mapping[str, Any]],
    expected_version: int,
) -> Invoice:
    """Replace the line items of an invoice under review; the old and new lines are audited."""
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"at most {MAX_LINES} lines")
    cleaned = [c for c in (_clean_line(n, line) for n, line in enumerate(lines, 1)) if c]
    cleaned = [{**c, "line_no": n} for n, c in enumerate(cleaned, 1)]
    with user_session(services.engine, user.claims) as s:
        invoice = load_editable(s, invoice_id, what="lines of an invoice")
        # The door replaces the lines and audits them before and after (a person changed them:
        # the invoice is in review again).
        apply_change(
            s,
            invoice,
            action="invoice.lines_corrected",
            changes={"lines": cleaned},
            expected_version=expected_version,
        )
        rematch_after_correction(s, invoice_id, ["lines"])  # 3-way matching reads the lines
        return load_invoice(s, invoice_id, for_update=False)
