"""Approval-policy set-up for tests whose subject is not the policy (issue 13).

The default policy blocks approving an invoice with an unknown vendor, an undecided match, a
failed check or a possible duplicate. Tests about other things (doors, audit, exports) approve
invoices that a stub extraction left without a vendor; they give the client a policy that blocks
nothing, saved and activated as its owner would (as the table owner: set-up only).
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import Engine, text

LENIENT = {"blocks": [], "override_roles": ["owner"]}


def lenient_policy(engine: Engine, client_id: uuid.UUID, policy: dict | None = None) -> None:
    """Make ``policy`` (default: one that blocks nothing) the client's active approval policy."""
    with engine.begin() as conn:
        conn.execute(
            text("update public.approval_policies set is_active = false where client_id = :c"),
            {"c": client_id},
        )
        conn.execute(
            text(
                "insert into public.approval_policies (client_id, version, name, policy, is_active)"
                " select :c, coalesce(max(version), 0) + 1, 'tests: lenient', cast(:p as jsonb),"
                " true from public.approval_policies where client_id = :c"
            ),
            {"c": client_id, "p": json.dumps(policy or LENIENT)},
        )


def approve_anyway(services, user, invoice_id, reason: str = "tests: approved over the policy"):
    """Approve; over the policy's blocks with ``reason`` when it blocks (``user``: an owner)."""
    from core.errors import ApprovalBlocked
    from core.workflow import review

    try:
        return review.approve_invoice(services=services, user=user, invoice_id=invoice_id)
    except ApprovalBlocked:
        return review.approve_invoice(
            services=services, user=user, invoice_id=invoice_id, override_reason=reason
        )
