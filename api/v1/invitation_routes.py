"""Invitations sent to the signed-in user: list, accept, decline."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.v1.schemas import InvitationPublic, Page, ReceivedInvitationPublic
from core.workflow import invitations

router = APIRouter(tags=["invitations"])


@router.get(
    "/invitations", response_model=Page[ReceivedInvitationPublic], responses=problem_responses(401)
)
def my_invitations(user: CurrentUserDep, services: ServicesDep) -> Page[ReceivedInvitationPublic]:
    """Open invitations sent to your verified e-mail address."""
    rows = invitations.my_invitations(services=services, user=user)
    return Page(data=[ReceivedInvitationPublic.model_validate(r) for r in rows], count=len(rows))


@router.post(
    "/invitations/{invitation_id}/accept",
    response_model=InvitationPublic,
    responses=problem_responses(401, 404, 409),
)
def accept_invitation(
    invitation_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> InvitationPublic:
    """Accept an invitation: you become a member of its client with its role."""
    row = invitations.accept_invitation(services=services, user=user, invitation_id=invitation_id)
    return InvitationPublic.model_validate(row)


@router.post(
    "/invitations/{invitation_id}/decline",
    response_model=InvitationPublic,
    responses=problem_responses(401, 404, 409),
)
def decline_invitation(
    invitation_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> InvitationPublic:
    """Decline an invitation."""
    row = invitations.decline_invitation(services=services, user=user, invitation_id=invitation_id)
    return InvitationPublic.model_validate(row)
