"""SQL for client invitations: owners invite, list and revoke; the invitee answers.

Every change goes through a security-definer function (supabase/migrations/
20261206100200_client_invitations.sql) that checks the caller; users only read rows, under RLS.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.records import Invitation, ReceivedInvitation

# The invitation as callers see it: never a user id of the invitee.
_STATUS = (
    "case when i.accepted_at is not null then 'accepted'"
    " when i.declined_at is not null then 'declined'"
    " when i.revoked_at is not null then 'revoked'"
    " when i.expires_at <= now() then 'expired' else 'pending' end as status"
)
_COLUMNS = (
    f"i.id, i.client_id, i.email, i.role::text as role, {_STATUS}, i.expires_at, i.created_at,"
    " i.accepted_at, i.declined_at, i.revoked_at"
)


def _one(s: Session, sql: str, params: dict[str, Any]) -> Invitation:
    return Invitation.from_row(s.execute(text(sql), params).mappings().one())


def invite(s: Session, *, client_id: UUID, email: str, role: str) -> Invitation:
    """Invite ``email`` (or renew its open invitation) with ``role``."""
    return _one(
        s,
        f"select {_COLUMNS} from public.invite_client_member(:c, :e,"  # noqa: S608 - constant
        " cast(:r as public.member_role)) i",
        {"c": client_id, "e": email, "r": role},
    )


def list_for_client(s: Session, client_id: UUID) -> list[Invitation]:
    """The client's invitations, newest first (RLS: owners only)."""
    rows = s.execute(
        text(
            f"select {_COLUMNS} from public.client_invitations i"  # noqa: S608 - constant
            " where i.client_id = :c order by i.created_at desc, i.id"
        ),
        {"c": client_id},
    )
    return [Invitation.from_row(r) for r in rows.mappings()]


def revoke(s: Session, invitation_id: UUID) -> Invitation:
    """Revoke an open invitation (owners of its client)."""
    return _one(
        s,
        f"select {_COLUMNS} from public.revoke_client_invitation(:i) i",  # noqa: S608
        {"i": invitation_id},
    )


def answer(s: Session, invitation_id: UUID, *, accept: bool) -> Invitation:
    """Accept (becoming a member) or decline an invitation sent to the caller's address."""
    return _one(
        s,
        f"select {_COLUMNS} from public.answer_client_invitation(:i, :a) i",  # noqa: S608
        {"i": invitation_id, "a": accept},
    )


def mine(s: Session) -> list[ReceivedInvitation]:
    """Open invitations sent to the caller's verified address, with the client's name."""
    rows = s.execute(
        text(
            "select id, client_id, client_name, role::text as role, expires_at, created_at"
            " from public.my_client_invitations()"
        )
    )
    return [ReceivedInvitation.from_row(r) for r in rows.mappings()]
