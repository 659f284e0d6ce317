"""Webhook endpoints of a client and their delivery log (owners)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.v1.schemas import (
    Page,
    WebhookAttemptPublic,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
)
from core.workflow import webhooks

router = APIRouter(tags=["webhooks"])
ERRORS = problem_responses(401, 403, 404)


@router.post(
    "/clients/{client_id}/webhooks",
    response_model=WebhookEndpointCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
def create_webhook(
    client_id: uuid.UUID, body: WebhookEndpointCreate, user: CurrentUserDep, services: ServicesDep
) -> WebhookEndpointCreated:
    """Add an endpoint (owners only). The answer holds its signing secret, shown this once.

    Deliveries carry the Standard Webhooks headers ``webhook-id``, ``webhook-timestamp`` and
    ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``)."""
    made = webhooks.create_endpoint(
        services=services, user=user, client_id=client_id, url=body.url,
        event_types=list(body.event_types), description=body.description,
    )  # fmt: skip
    public = WebhookEndpointPublic.model_validate(made.record)
    return WebhookEndpointCreated(**public.model_dump(), secret=made.secret)


@router.get(
    "/clients/{client_id}/webhooks", response_model=Page[WebhookEndpointPublic], responses=ERRORS
)
def list_webhooks(
    client_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[WebhookEndpointPublic]:
    """The client's endpoints (owners only; never their secrets)."""
    rows = webhooks.list_endpoints(services=services, user=user, client_id=client_id)
    return Page(data=[WebhookEndpointPublic.model_validate(r) for r in rows], count=len(rows))


@router.patch(
    "/clients/{client_id}/webhooks/{endpoint_id}",
    response_model=WebhookEndpointCreated,
    responses=problem_responses(401, 403, 404, 422),
)
def update_webhook(
    client_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    user: CurrentUserDep,
    services: ServicesDep,
) -> WebhookEndpointCreated:
    """Change an endpoint (owners only); ``rotate_secret`` returns a new secret once."""
    changed = webhooks.update_endpoint(
        services=services, user=user, client_id=client_id, endpoint_id=endpoint_id,
        url=body.url, description=body.description, enabled=body.enabled,
        event_types=list(body.event_types) if body.event_types is not None else None,
        rotate_secret=body.rotate_secret,
    )  # fmt: skip
    if isinstance(changed, webhooks.EndpointWithSecret):
        public = WebhookEndpointPublic.model_validate(changed.record)
        return WebhookEndpointCreated(**public.model_dump(), secret=changed.secret)
    return WebhookEndpointCreated(**WebhookEndpointPublic.model_validate(changed).model_dump())


@router.delete(
    "/clients/{client_id}/webhooks/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERRORS,
)
def delete_webhook(
    client_id: uuid.UUID, endpoint_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> None:
    """Delete an endpoint and its delivery log (owners only)."""
    webhooks.delete_endpoint(
        services=services, user=user, client_id=client_id, endpoint_id=endpoint_id
    )


@router.get(
    "/clients/{client_id}/webhook-deliveries",
    response_model=Page[WebhookDeliveryPublic],
    responses=ERRORS,
)
def list_webhook_deliveries(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    endpoint_id: uuid.UUID | None = None,
    status: Literal["pending", "succeeded", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[WebhookDeliveryPublic]:
    """The delivery log, newest first (owners only)."""
    rows = webhooks.list_deliveries(
        services=services, user=user, client_id=client_id, endpoint_id=endpoint_id,
        status=status, limit=limit, offset=offset,
    )  # fmt: skip
    return Page(data=[WebhookDeliveryPublic.model_validate(r) for r in rows], count=len(rows))


@router.get(
    "/clients/{client_id}/webhook-deliveries/{delivery_id}",
    response_model=WebhookDeliveryPublic,
    responses=ERRORS,
)
def get_webhook_delivery(
    client_id: uuid.UUID, delivery_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> WebhookDeliveryPublic:
    """One delivery with every attempt (owners only)."""
    found, tries = webhooks.get_delivery(
        services=services, user=user, client_id=client_id, delivery_id=delivery_id
    )
    public = WebhookDeliveryPublic.model_validate(found)
    public.attempt_log = [WebhookAttemptPublic.model_validate(a) for a in tries]
    return public


@router.post(
    "/clients/{client_id}/webhook-deliveries/{delivery_id}/redeliver",
    response_model=WebhookDeliveryPublic,
    responses=ERRORS,
)
def redeliver_webhook(
    client_id: uuid.UUID, delivery_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> WebhookDeliveryPublic:
    """Send a delivery again now, with the same webhook-id (owners only; audited)."""
    row = webhooks.redeliver(
        services=services, user=user, client_id=client_id, delivery_id=delivery_id
    )
    return WebhookDeliveryPublic.model_validate(row)
