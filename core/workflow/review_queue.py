"""The review queue: what a reviewer should look at next, and why."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from core.auth.models import CurrentUser
from core.db import review_repo, split_repo
from core.db.records import ReviewItem
from core.db.session import user_session
from core.errors import ValidationFailed
from core.workflow.access import require_role
from core.workflow.services import Services
from core.workflow.states import InvoiceStatus as S
from core.workflow.transitions import load_invoice

MAX_QUEUE = 500
LOW_CONFIDENCE = 0.8


def _reason(row: ReviewItem) -> str:
    if row.status == S.auto_approved.value:
        return "auto-approved, confirm"
    if row.possible_duplicate:
        return "possible duplicate"
    if row.match_band == "reject":
        return "unknown vendor"
    if row.failed_checks:
        return f"{row.failed_checks} failed check{'s' * (row.failed_checks > 1)}"
    confidence = row.confidence
    if confidence is None:
        return "not extracted"
    if float(confidence) < LOW_CONFIDENCE:
        return f"low confidence {float(confidence):.0%}"
    return "match to confirm"


def review_queue(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, limit: int = 200
) -> list[ReviewItem]:
    """Invoices waiting for a person (review, then auto-approved ones to confirm), most urgent
    first, each with a ``review_reason``."""
    if not 1 <= limit <= MAX_QUEUE:
        raise ValidationFailed(f"limit must be 1-{MAX_QUEUE}")
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        rows = review_repo.review_queue(
            s, client_id, statuses=[S.needs_review.value, S.auto_approved.value], limit=limit
        )
    return [replace(row, review_reason=_reason(row)) for row in rows]


def field_evidence(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID
) -> dict[str, Any]:
    """``fields``: per header field its confidence and evidence; ``warnings``: failed checks.

    An evidence's page is a page of the invoice's file: a part of a multi-invoice PDF is read
    from its own pages (its stored extraction counts from the part's first page, as its learned
    hints do), while the file shown beside the fields is the whole PDF."""
    with user_session(services.engine, user.claims) as s:
        load_invoice(s, invoice_id, for_update=False)  # NotFound for invisible invoices
        stored = review_repo.invoice_extraction(s, invoice_id) or {}
        own = split_repo.pages(s, invoice_id)
    offset = own[0] - 1 if own else 0
    fields = {
        name: {
            "confidence": item.get("confidence"),
            "evidence": _in_file(item.get("evidence"), offset),
            "value": item.get("value"),
        }
        for name, item in stored.items()
        if isinstance(item, dict) and "confidence" in item
    }
    return {"fields": fields, "warnings": list(stored.get("warnings") or [])}


def _in_file(evidence: Any, offset: int) -> Any:
    """``evidence`` with its page counted from the file's first page (``offset`` pages before
    the part)."""
    if not offset or not isinstance(evidence, dict) or not isinstance(evidence.get("page"), int):
        return evidence
    return {**evidence, "page": evidence["page"] + offset}
