"""Match decisions: confirm, override, reject."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.v1.schemas import MatchOverride, MatchPublic
from core.workflow import review

router = APIRouter(prefix="/matches", tags=["matches"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.post("/{match_id}/confirm", response_model=MatchPublic, responses=ERRORS)
def confirm(match_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> MatchPublic:
    """Accept the proposed match."""
    return MatchPublic.model_validate(
        review.decide_match(services=services, user=user, match_id=match_id, decision="confirm")
    )


@router.post("/{match_id}/override", response_model=MatchPublic, responses=ERRORS)
def override(
    match_id: uuid.UUID, body: MatchOverride, user: CurrentUserDep, services: ServicesDep
) -> MatchPublic:
    """Replace the proposal with another vendor or purchase order."""
    return MatchPublic.model_validate(
        review.decide_match(
            services=services,
            user=user,
            match_id=match_id,
            decision="override",
            vendor_id=body.vendor_id,
            purchase_order_id=body.purchase_order_id,
        )
    )


@router.post("/{match_id}/reject", response_model=MatchPublic, responses=ERRORS)
def reject(match_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> MatchPublic:
    """Refuse the proposed match."""
    return MatchPublic.model_validate(
        review.decide_match(services=services, user=user, match_id=match_id, decision="reject")
    )
