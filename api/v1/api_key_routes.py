"""API keys of a client (owners): create (the key is shown once), list, revoke."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.v1.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, Page
from core.workflow import api_keys

router = APIRouter(tags=["api-keys"])


@router.post(
    "/clients/{client_id}/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
def create_api_key(
    client_id: uuid.UUID, body: ApiKeyCreate, user: CurrentUserDep, services: ServicesDep
) -> ApiKeyCreated:
    """Create an API key (owners only). The answer holds the key: it is shown this once.

    The key acts as a member of this client with the given role (operator, analyst or
    viewer): send it as ``Authorization: Bearer <key>``."""
    created = api_keys.create_key(
        services=services, user=user, client_id=client_id, name=body.name, role=body.role,
        expires_at=body.expires_at,
    )  # fmt: skip
    public = ApiKeyPublic.model_validate(created.record)
    return ApiKeyCreated(**public.model_dump(), key=created.key)


@router.get(
    "/clients/{client_id}/api-keys",
    response_model=Page[ApiKeyPublic],
    responses=problem_responses(401, 403, 404),
)
def list_api_keys(
    client_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[ApiKeyPublic]:
    """The client's API keys with their status and last use, newest first (owners only)."""
    rows = api_keys.list_keys(services=services, user=user, client_id=client_id)
    return Page(data=[ApiKeyPublic.model_validate(r) for r in rows], count=len(rows))


@router.delete(
    "/clients/{client_id}/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def revoke_api_key(
    client_id: uuid.UUID, key_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> None:
    """Revoke an API key (owners only): it is refused from its next request on."""
    api_keys.revoke_key(services=services, user=user, client_id=client_id, key_id=key_id)
