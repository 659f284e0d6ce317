"""Inviting members: an owner invites an e-mail address, the invitee accepts or declines.

Nothing here tells whether an address has an account: an invitation is created and answered the
same way for any address, and no user id is returned before the invitee accepts (issue 11, F11).
The membership is created by the database when the invitee accepts, as the invitee.
"""

from __future__ import annotations

import re
import uuid

from core.auth.models import CurrentUser
from core.db import invitation_repo
from core.db.records import Invitation, ReceivedInvitation
from core.db.session import user_session
from core.errors import NotFound, ValidationFailed
from core.workflow.access import OWNERS, require_role
from core.workflow.clients import ROLES
from core.workflow.services import Services

_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


def _clean_email(email: str) -> str:
    cleaned = (email or "").strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise ValidationFailed("give a valid e-mail address", field="email")
    return cleaned


def invite_member(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, email: str, role: str
) -> Invitation:
    """Invite ``email`` to ``client_id`` with ``role`` (owners only); the same answer for any
    address. Inviting an address again renews its open invitation."""
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
    address = _clean_email(email)
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        return invitation_repo.invite(s, client_id=client_id, email=address, role=role)


def list_invitations(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID
) -> list[Invitation]:
    """The client's invitations with their status, newest first (owners only)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        return invitation_repo.list_for_client(s, client_id)


def revoke_invitation(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, invitation_id: uuid.UUID
) -> Invitation:
    """Revoke an open invitation of ``client_id`` (owners only)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        if not any(i.id == invitation_id for i in invitation_repo.list_for_client(s, client_id)):
            raise NotFound("invitation not found")
        return invitation_repo.revoke(s, invitation_id)


def my_invitations(*, services: Services, user: CurrentUser) -> list[ReceivedInvitation]:
    """Open invitations sent to the signed-in user's verified e-mail address."""
    with user_session(services.engine, user.claims) as s:
        return invitation_repo.mine(s)


def accept_invitation(
    *, services: Services, user: CurrentUser, invitation_id: uuid.UUID
) -> Invitation:
    """Accept an invitation: the caller becomes a member of its client with its role."""
    with user_session(services.engine, user.claims) as s:
        return invitation_repo.answer(s, invitation_id, accept=True)


def decline_invitation(
    *, services: Services, user: CurrentUser, invitation_id: uuid.UUID
) -> Invitation:
    """Decline an invitation (nothing else changes)."""
    with user_session(services.engine, user.claims) as s:
        return invitation_repo.answer(s, invitation_id, accept=False)
