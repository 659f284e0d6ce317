"""The approval policy: what blocks an approval, who may approve over a block, the trust ladder.

One policy per client, versioned and immutable like match profiles: owners save a new version and
activate it; without an active version the client runs the default below (the database's
``public.default_approval_policy()`` is the same, a test compares them). The database enforces
it: its approval door refuses a blocked approval from any caller, and an override only for the
policy's ``override_roles``, with a reason, audited.

Reason codes a policy can name in ``blocks`` (``<family>.*`` names a whole family):

- ``vendor.unknown``: no vendor of the master is chosen;
- ``match.undecided``: a vendor or purchase-order match in the review band is not decided;
- ``duplicate.possible``: the invoice may duplicate another one;
- ``check.<name>``: a failed check (``totals_mismatch``, ``line_sum_mismatch``,
  ``line_arithmetic``, ``due_before_invoice_date``, ``iban_checksum``, ``currency_missing``,
  ``vat_id_shape``, ``vendor_equals_customer``, ``currency_not_in_text``);
- ``line.<exception>``: a line exception of the 3-way match (over-billed quantity, price
  variance, not received: issue 16).

``trust_ladder`` configures straight-through approval (issue 14): a vendor with
``clean_invoices`` approved invoices in a row without a correction has its next invoice approved
with no touch when nothing blocks and its total is at most ``max_total``. It is part of the
policy so that it is versioned and audited with it; ``enabled`` is off by default.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.auth.models import CurrentUser
from core.db import approval_repo
from core.db.records import ApprovalPolicyVersion
from core.db.session import user_session
from core.errors import ValidationFailed
from core.extraction.parsing import ISO_CURRENCIES
from core.workflow.access import OWNERS, require_role
from core.workflow.services import Services

REASON_FAMILIES = ("vendor", "match", "duplicate", "check", "line")
CHECK_CODES = (
    "totals_mismatch",
    "line_sum_mismatch",
    "line_arithmetic",
    "due_before_invoice_date",
    "iban_checksum",
    "currency_missing",
    "vat_id_shape",
    "vendor_equals_customer",
    "currency_not_in_text",
)
KNOWN_CODES = (
    "vendor.unknown",
    "match.undecided",
    "duplicate.possible",
    *(f"check.{c}" for c in CHECK_CODES),
)
DEFAULT_BLOCKS = (
    "vendor.unknown",
    "match.undecided",
    "duplicate.possible",
    "check.totals_mismatch",
    "check.line_sum_mismatch",
    "check.line_arithmetic",
    "check.due_before_invoice_date",
    "check.iban_checksum",
    "check.currency_missing",
    "line.*",
)


class TrustLadder(BaseModel):
    """Straight-through approval of a vendor's invoices after a run of clean ones (issue 14)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    clean_invoices: int = Field(default=3, ge=1, le=100)
    max_total: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    # the limit's currency (ISO 4217): an invoice in another currency, or with none read, waits
    # for a person (no exchange rates here); None compares the bare numbers (saved policies)
    max_total_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    # an invoice without a purchase-order match is never straight-through (issue 14: "vendor and
    # PO matches in the auto band"); off for clients whose invoices carry no PO
    require_po: bool = True

    @field_validator("max_total_currency")
    @classmethod
    def _iso_currency(cls, code: str | None) -> str | None:
        if code is not None and code not in ISO_CURRENCIES:
            raise ValueError(f"unknown currency code {code!r} (ISO 4217, e.g. EUR)")
        return code


class ApprovalPolicy(BaseModel):
    """What blocks an approval, who may override, and the trust ladder (see the module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blocks: tuple[str, ...] = DEFAULT_BLOCKS
    override_roles: tuple[Literal["owner", "operator"], ...] = ("owner",)
    trust_ladder: TrustLadder = TrustLadder()

    @field_validator("blocks")
    @classmethod
    def _known_codes(cls, blocks: tuple[str, ...]) -> tuple[str, ...]:
        for code in blocks:
            family, _, name = code.partition(".")
            if family not in REASON_FAMILIES or not name:
                raise ValueError(
                    f"unknown reason code {code!r}: codes start with one of "
                    f"{', '.join(f + '.' for f in REASON_FAMILIES)}"
                )
            if name == "*" or family == "line":
                continue  # 3-way line exceptions are the matcher's codes
            if code not in KNOWN_CODES:
                raise ValueError(f"unknown reason code {code!r}")
        return tuple(dict.fromkeys(blocks))

    def blocks_on(self, code: str) -> bool:
        """Whether this policy blocks an approval on reason ``code``."""
        return any(b == code or (b.endswith(".*") and code.startswith(b[:-1])) for b in self.blocks)


def policy_json(policy: ApprovalPolicy) -> dict[str, object]:
    """The policy as stored (JSON)."""
    return policy.model_dump(mode="json")


def list_policies(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID
) -> list[ApprovalPolicyVersion]:
    """Stored versions of the client's approval policy, newest first (any member may look)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return approval_repo.list_policies(s, client_id)


def active_policy(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID
) -> tuple[int | None, ApprovalPolicy]:
    """The policy deciding for the client now: (its version or None for the default, policy)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        version, stored = approval_repo.policy_of(s, client_id)
    return version, ApprovalPolicy.model_validate(stored)


def save_policy(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    policy: ApprovalPolicy | dict[str, object],
    name: str = "approval policy",
    activate: bool = False,
    notes: str | None = None,
) -> ApprovalPolicyVersion:
    """Store a new version (owners only); optionally make it the active one at once."""
    try:
        parsed = ApprovalPolicy.model_validate(policy)
    except ValueError as exc:
        raise ValidationFailed(f"not a valid approval policy: {exc}") from exc
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed("a policy needs a name of at most 100 characters")
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        version = approval_repo.insert_policy(
            s, client_id=client_id, name=name, policy=policy_json(parsed), notes=notes
        )
        if activate:
            return approval_repo.activate_policy(s, client_id, version)
        return next(p for p in approval_repo.list_policies(s, client_id) if p.version == version)


def activate_policy(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, version: int
) -> ApprovalPolicyVersion:
    """Make a stored version the client's active approval policy (owners only, audited)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        return approval_repo.activate_policy(s, client_id, version)
