"""Invoice statuses and the one table of allowed transitions.

``core.workflow`` is the only code that changes an invoice's status, and it always goes through
``ensure_transition`` so an illegal move is a typed ``InvalidTransition`` (HTTP 409), never a
silently corrupted row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

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
# - matched -> approved: the trust ladder's straight-through approval (``status.auto_approved``,
#   refused by the database unless every ladder condition holds); nothing enters
#   ``auto_approved`` any more, and an invoice left there is exported only after a person
#   approves it.
TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    S.received: frozenset({S.extracting, S.failed}),
    S.extracting: frozenset({S.extracted, S.failed, S.received}),
    S.extracted: frozenset({S.matched, S.failed}),
    S.matched: frozenset({S.needs_review, S.approved, S.failed}),
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
# Statuses no path enters any more; an invoice left there leaves only by a person's decision
# (approve, reject, re-open): auto_approved predates the trust ladder approving outright.
RETIRED: frozenset[InvoiceStatus] = frozenset({S.auto_approved})
# Statuses that can be exported.
EXPORTABLE: frozenset[InvoiceStatus] = frozenset({S.approved, S.exported})


@dataclass(frozen=True)
class Action:
    """A named move along ``TRANSITIONS``: which database door runs it, from where, to where."""

    door: Literal["transition", "correct"]
    target: InvoiceStatus
    sources: frozenset[InvoiceStatus]


def _action(door: Literal["transition", "correct"], target: S, *sources: S) -> Action:
    return Action(door, target, frozenset(sources))


_REVIEWABLE = (S.needs_review, S.auto_approved)
# Every change of an invoice is one of these actions. The database holds the same registry
# (public.invoice_actions, compared by a test) with the fields each action may set, and its
# doors, public.invoice_transition (status moves) and public.invoice_correct (a reviewer's
# corrections), refuse anything else.
ACTIONS: dict[str, Action] = {
    "status.extracting": _action("transition", S.extracting, S.received),
    "status.released": _action("transition", S.received, S.extracting),
    "status.extracted": _action("transition", S.extracted, S.extracting),
    "status.matched": _action("transition", S.matched, S.extracted),
    "status.needs_review": _action("transition", S.needs_review, S.matched),
    # The trust ladder's acceptance approves in the same door call (audited as
    # trust_ladder.auto_approved with the rule, the policy version and the evidence).
    "status.auto_approved": _action("transition", S.approved, S.matched),
    "status.failed": _action(
        "transition", S.failed, S.received, S.extracting, S.extracted, S.matched
    ),
    "status.retry": _action("transition", S.received, S.failed),
    "status.approved": _action("transition", S.approved, *_REVIEWABLE),
    # An approval over the approval policy's blocks (an allowed role, with a reason).
    "approval.overridden": _action("transition", S.approved, *_REVIEWABLE),
    "status.rejected": _action("transition", S.rejected, *_REVIEWABLE),
    "status.reopened": _action(
        "transition", S.needs_review, S.approved, S.auto_approved, S.rejected
    ),
    "status.exported": _action("transition", S.exported, S.approved, S.exported),
    "invoice.corrected": _action("correct", S.needs_review, *_REVIEWABLE),
    "invoice.lines_corrected": _action("correct", S.needs_review, *_REVIEWABLE),
    "match.confirmed": _action("correct", S.needs_review, *_REVIEWABLE),
    "match.overridden": _action("correct", S.needs_review, *_REVIEWABLE),
    "match.rejected": _action("correct", S.needs_review, *_REVIEWABLE),
    # Matching run again after a correction or on request: its rows replace the old ones.
    "match.rematched": _action("correct", S.needs_review, *_REVIEWABLE),
}


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


def ensure_action(current: str | InvoiceStatus, action: str) -> Action:
    """The registered ``action`` if it may start from ``current``, else ``InvalidTransition``."""
    found = ACTIONS.get(action)
    if found is None:
        raise ValueError(f"unknown invoice action {action!r}")
    status = parse_status(current)
    ensure_transition(status, found.target)
    if status not in found.sources:
        allowed = sorted(s.value for s in found.sources)
        raise InvalidTransition(
            f"{action} is not possible for an invoice in status {status.value}",
            current=status.value,
            target=found.target.value,
            allowed_from=allowed,
        )
    return found
