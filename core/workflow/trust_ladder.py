"""The trust ladder: straight-through approval as part of the approval policy (issue 14).

An invoice is approved with no touch only when every condition holds; each failed one is a typed
``LadderReason`` (``public.auto_approval_reasons`` in the database is the one definition; its
door refuses ``status.auto_approved`` while any holds, with ``AutoApprovalRefused``):

- ``ladder.off``: the client's approval policy has ``trust_ladder.enabled`` off (the default);
- ``ladder.vendor_unknown``; ``ladder.paused`` (an owner paused the vendor);
- ``ladder.streak_short``: fewer than ``trust_ladder.clean_invoices`` (N, default 3) approved
  invoices of the vendor in a row with no correction;
- ``ladder.check_failed``: a check fails; ``ladder.vendor_match`` / ``ladder.po_match``: a match
  not in the auto band (a PO match is needed when the invoice prints a PO number or, with
  ``require_po``, its vendor has purchase orders); ``ladder.duplicate``;
- ``ladder.total_over_limit``: the total is missing or above ``trust_ladder.max_total``;
- ``ladder.lines_unreconciled``: the line items read do not account for the net (no line with
  an amount, a line without one, or their sum differs from the printed line total, else the net
  amount, by more than 0.01; a line total computed from the lines is not printed); a person may
  still approve such an invoice;
- ``ladder.blocked``: the approval policy blocks approving at all.

The streak is the database's (from the doors' audit events) and is the vendor's record of being
read and matched exactly (``public.trust_ladder_resets``): a person's approval of a clean invoice
adds one; a correction that changed something, a lines correction, a vendor-match override or
rejection, an approval over the policy's blocks, a re-open, or a rejection (except of an invoice
the product flagged as a possible duplicate) resets it. Purchase-order match decisions do not:
each ladder approval needs that invoice's own PO match in the auto band. A PO match is needed
when the invoice prints a PO number or (``require_po``) its vendor has purchase orders.
Each auto-approval writes ``trust_ladder.auto_approved`` with the rule, the policy version and
the evidence.
"""

from __future__ import annotations

import uuid
from enum import Enum

from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import ladder_repo
from core.db.records import AutoApprovalReason, VendorTrust
from core.db.session import user_session
from core.workflow.access import OWNERS, require_role
from core.workflow.services import Services


class LadderReason(str, Enum):
    """Why an invoice may not be approved with no touch (one per failed condition)."""

    off = "ladder.off"
    vendor_unknown = "ladder.vendor_unknown"
    paused = "ladder.paused"
    streak_short = "ladder.streak_short"
    check_failed = "ladder.check_failed"
    vendor_match = "ladder.vendor_match"
    po_match = "ladder.po_match"
    duplicate = "ladder.duplicate"
    total_over_limit = "ladder.total_over_limit"
    lines_unreconciled = "ladder.lines_unreconciled"
    blocked = "ladder.blocked"


def refusals(s: Session, invoice_id: uuid.UUID) -> list[tuple[LadderReason, AutoApprovalReason]]:
    """The typed reasons the ladder refuses to auto-approve ``invoice_id`` now (none: it may)."""
    return [(LadderReason(r.code), r) for r in ladder_repo.auto_approval_reasons(s, invoice_id)]


def auto_approval_reasons(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID
) -> list[AutoApprovalReason]:
    """Why this invoice would not go straight through now (any member may ask)."""
    with user_session(services.engine, user.claims) as s:
        return ladder_repo.auto_approval_reasons(s, invoice_id)


def ladder_states(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    vendor_id: uuid.UUID | None = None,
) -> list[VendorTrust]:
    """Each vendor's ladder state: clean streak, paused, what last reset it."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return ladder_repo.list_trust(s, client_id, vendor_id=vendor_id)


def set_vendor_paused(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    vendor_id: uuid.UUID,
    paused: bool,
) -> VendorTrust:
    """Pause (or resume) straight-through approval for one vendor (owners only, audited)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        ladder_repo.set_paused(s, client_id, vendor_id, paused)
        return ladder_repo.list_trust(s, client_id, vendor_id=vendor_id)[0]
