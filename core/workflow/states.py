"""Invoice statuses and the one table of allowed transitions.

``core.workflow`` is the only code that changes an invoice's status, and it always goes through
``ensure_transition`` so an illegal move is a typed ``InvalidTransition`` (HTTP 409), never a
silently corrupted row.
"""

from __future__ import annotations

from enum import Enum

from core.errors import InvalidTransition


class InvoiceStatus(str, Enum):
    """Lifecycle of one invoice; values are stored in ``invoices.status``."""

    received = "received"
    extracting = "extracting"
    extracted = "extracted"
    matched = "matched"
    needs_review = "needs_review"
    auto_approved = "auto_approved"
    approved = "approved"
    rejected = "rejected"
    exported = "exported"
    failed = "failed"

    def __str__(self) -> str:
        return self.value


S = InvoiceStatus

# The single source of truth. Why some edges exist:
# - extracting -> received: a worker released the job on shutdown; it is picked up again.
# - extracting/extracted/matched -> failed: a processing step failed with a machine reason.
# - failed -> received: an explicit retry by a user (or the retry policy) re-queues the file.
# - needs_review -> needs_review: a correction or a match decision keeps it in review.
# - approved/rejected -> needs_review: a reviewer reopens a decision.
# - exported -> exported: exporting again is harmless and still audited.
TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    S.received: frozenset({S.extracting, S.failed}),
    S.extracting: frozenset({S.extracted, S.failed, S.received}),
    S.extracted: frozenset({S.matched, S.failed}),
    S.matched: frozenset({S.needs_review, S.auto_approved, S.failed}),
    S.needs_review: frozenset({S.needs_review, S.approved, S.rejected}),
    S.auto_approved: frozenset({S.approved, S.rejected, S.needs_review}),
    S.approved: frozenset({S.exported, S.needs_review}),
    S.rejected: frozenset({S.needs_review}),
    S.exported: frozenset({S.exported}),
    S.failed: frozenset({S.received}),
}

# Statuses in which a reviewer may still change fields or match decisions.
EDITABLE: frozenset[InvoiceStatus] = frozenset({S.needs_review, S.auto_approved})
# Statuses a worker is (or may be) busy with; processing is not started twice for these.
IN_FLIGHT: frozenset[InvoiceStatus] = frozenset({S.received, S.extracting, S.extracted, S.matched})
# Statuses that can be exported.
EXPORTABLE: frozenset[InvoiceStatus] = frozenset({S.approved, S.exported})


def parse_status(value: str | InvoiceStatus) -> InvoiceStatus:
    """Return the status for ``value`` or raise ``InvalidTransition`` for an unknown name."""
    try:
        return InvoiceStatus(value)
    except ValueError as exc:
        raise InvalidTransition(f"unknown invoice status {value!r}", status=str(value)) from exc


def can_transition(current: str | InvoiceStatus, target: str | InvoiceStatus) -> bool:
    """True when the table allows ``current -> target``."""
    return parse_status(target) in TRANSITIONS[parse_status(current)]


def ensure_transition(current: str | InvoiceStatus, target: str | InvoiceStatus) -> InvoiceStatus:
    """Return ``target`` as a status or raise ``InvalidTransition`` naming both ends."""
    a, b = parse_status(current), parse_status(target)
    if b not in TRANSITIONS[a]:
        allowed = sorted(s.value for s in TRANSITIONS[a])
        raise InvalidTransition(
            f"an invoice cannot go from {a.value} to {b.value}",
            current=a.value,
            target=b.value,
            allowed=allowed,
        )
    return b
