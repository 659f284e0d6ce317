"""SQL of the approval policy: its stored versions and the reasons that speak against approving.

The database decides (``public.approval_reasons``, ``public.approval_policy_of``, the door that
refuses a blocked approval, ``public.activate_approval_policy``); this module only calls it and
returns records.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from core.db.records import ApprovalPolicyVersion, ApprovalReason, columns

_POLICY_SELECT = f"select {columns(ApprovalPolicyVersion)} from public.approval_policies p"  # noqa: S608


def reasons(s: Session, invoice_id: UUID) -> list[ApprovalReason]:
    """Every reason against approving the invoice now, blocking ones first."""
    rows = s.execute(
        text(
            "select code, message, fields, detail, blocking"
            " from public.approval_reasons(:i) order by blocking desc, code"
        ),
        {"i": invoice_id},
    ).mappings()
    return [
        ApprovalReason(
            code=r["code"],
            message=r["message"],
            fields=tuple(r["fields"] or ()),
            detail=dict(r["detail"] or {}),
            blocking=bool(r["blocking"]),
        )
        for r in rows
    ]


def policy_of(s: Session, client_id: UUID) -> tuple[int | None, dict[str, Any]]:
    """The policy deciding for ``client_id`` now: (its version, or None for the default; JSON)."""
    row = s.execute(
        text("select version, policy from public.approval_policy_of(:c)"), {"c": client_id}
    ).one()
    return (None if row[0] is None else int(row[0])), dict(row[1])


def default_policy(s: Session) -> dict[str, Any]:
    """The database's default policy (compared with the Python model's defaults by a test)."""
    return dict(s.execute(text("select public.default_approval_policy()")).scalar_one())


def list_policies(s: Session, client_id: UUID) -> list[ApprovalPolicyVersion]:
    """Stored versions of the client's approval policy, newest first."""
    rows = s.execute(
        text(_POLICY_SELECT + " where p.client_id = :c order by p.version desc"), {"c": client_id}
    )
    return [ApprovalPolicyVersion.from_row(r) for r in rows.mappings()]


def insert_policy(
    s: Session, *, client_id: UUID, name: str, policy: dict[str, Any], notes: str | None
) -> int:
    """Store the next version (immutable once written); returns its number."""
    s.execute(text("select pg_advisory_xact_lock(hashtext('approval_policy:' || :c))"),
              {"c": str(client_id)})  # fmt: skip
    version = s.execute(
        text(
            "select coalesce(max(version), 0) + 1 from public.approval_policies"
            " where client_id = :c"
        ),
        {"c": client_id},
    ).scalar_one()
    s.execute(
        text(
            "insert into public.approval_policies (client_id, version, name, policy, notes)"
            " values (:c, :v, :n, :p, :notes)"
        ).bindparams(bindparam("p", type_=JSONB)),
        {"c": client_id, "v": version, "n": name, "p": policy, "notes": notes},
    )
    return int(version)


def activate_policy(s: Session, client_id: UUID, version: int) -> ApprovalPolicyVersion:
    """Make ``version`` the client's active policy (``public.activate_approval_policy``)."""
    row = (
        s.execute(
            text(f"select {columns(ApprovalPolicyVersion, alias='p')}"  # noqa: S608 - constant
                 " from public.activate_approval_policy(:c, :v) p"),
            {"c": client_id, "v": version},
        )
        .mappings()
        .one()
    )  # fmt: skip
    return ApprovalPolicyVersion.from_row(row)


def member_emails(s: Session, client_id: UUID, user_ids: list[UUID]) -> dict[UUID, str]:
    """E-mail addresses of users who act on the client's invoices
    (``public.client_user_emails``)."""
    if not user_ids:
        return {}
    rows = s.execute(
        text("select user_id, email from public.client_user_emails(:c, :ids)"),
        {"c": client_id, "ids": list(dict.fromkeys(user_ids))},
    )
    return {r[0]: r[1] for r in rows}
