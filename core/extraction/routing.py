"""Cost-aware routing: whether an offline reading is good enough to spare the LLM call.

With an LLM configured, the pipeline first reads a document offline (e-invoice XML wins before
that). When the fields that paying an invoice needs are all present and each is at or above
``Settings.llm_routing_min_confidence`` after validation, and validation found no arithmetic
mismatch, the offline result is kept and the extraction says why (``llm_skipped: ...``).
"""

from __future__ import annotations

from core.extraction.schema import Extraction
from core.extraction.validation import validate

ROUTING_FIELDS = ("vendor_name", "invoice_date", "total", "currency")
# Warnings that mean the offline reading contradicts itself: never skip the LLM then.
_DOUBTS = ("totals_mismatch", "vendor_equals_customer", "currency_not_in_text")


def routing_score(result: Extraction, text: str) -> tuple[float, str]:
    """(score, what limits it) of an unvalidated offline ``result``: the lowest validated
    confidence of the routing fields, or 0 when one is missing or validation doubts the
    reading."""
    checked = validate(result, text, copy=True)
    missing = [n for n in ROUTING_FIELDS if not checked.field(n).present]
    if missing:
        return 0.0, f"missing {', '.join(missing)}"
    doubts = [w.split(":")[0] for w in checked.warnings if w.startswith(_DOUBTS)]
    if doubts:
        return 0.0, f"doubts: {', '.join(doubts)}"
    lowest = min(ROUTING_FIELDS, key=lambda n: checked.field(n).confidence)
    return checked.field(lowest).confidence, lowest


def offline_is_enough(result: Extraction, text: str, threshold: float) -> tuple[bool, str]:
    """(keep offline, reason) for an unvalidated offline ``result`` of a document's ``text``."""
    if threshold >= 1.0:
        return False, "routing off"
    score, limit = routing_score(result, text)
    if score == 0.0:
        return False, limit
    if score < threshold:
        return False, f"{limit} confidence {score:.2f} < {threshold:.2f}"
    return True, f"offline confidence >= {threshold:.2f} on {', '.join(ROUTING_FIELDS)}"
