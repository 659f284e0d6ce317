"""What speaks against approving an invoice now, and whether the client's policy blocks on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.auth.models import CurrentUser
from core.db import approval_repo, tenant_repo
from core.db.records import ApprovalReason
from core.db.session import user_session
from core.workflow.approval_policy import ApprovalPolicy
from core.workflow.services import Services
from core.workflow.transitions import load_invoice


@dataclass(frozen=True)
class ApprovalCheck:
    """An invoice's reasons against approval under its client's policy, for one version."""

    invoice_id: uuid.UUID
    version: int
    policy_version: int | None  # None: the built-in default policy
    policy: ApprovalPolicy
    reasons: tuple[ApprovalReason, ...]
    may_override: bool  # the caller's role is one the policy lets approve over the blocks

    @property
    def blocking(self) -> tuple[ApprovalReason, ...]:
        """The reasons that block an approval."""
        return tuple(r for r in self.reasons if r.blocking)


def approval_check(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID
) -> ApprovalCheck:
    """Every reason against approving the invoice now (blocking ones first)."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        reasons = approval_repo.reasons(s, invoice_id)
        version, stored = approval_repo.policy_of(s, invoice.client_id)
        client = tenant_repo.get_client(s, invoice.client_id)
    policy = ApprovalPolicy.model_validate(stored)
    role = client.role if client is not None else None
    return ApprovalCheck(
        invoice_id=invoice_id,
        version=invoice.version,
        policy_version=version,
        policy=policy,
        reasons=tuple(reasons),
        may_override=role in policy.override_roles,
    )
