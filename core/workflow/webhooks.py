"""Signed webhooks (issue 17, item 2): owners manage endpoints; the worker delivers.

Events are derived by the database from the audit log (``public.webhook_event_map``: audit
action -> event), in the transaction of the audited change, as delivery rows plus one queued job
each (queue ``webhooks``): a committed change always has its deliveries, and the workflow never
waits for a receiver. ``deliver`` runs one attempt: the URL is checked again (SSRF, at delivery
time, the request goes to the checked address), the message is signed per Standard Webhooks
with the endpoint's ``whsec_`` secret (stored encrypted), and a failure is retried with
exponential backoff (``RETRY_SCHEDULE``) until it succeeds or the attempts run out. Owners see
every attempt and can redeliver (same ``webhook-id``, so receivers deduplicate).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from functools import partial

import httpx
from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import webhook_repo
from core.db.integration_records import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from core.db.session import service_session, user_session
from core.errors import ValidationFailed
from core.outbound import signing
from core.outbound.secret_box import SecretBox
from core.outbound.targets import parse_http_target
from core.outbound.webhook_sender import post_signed
from core.workflow.access import OWNERS, require_owned, require_role
from core.workflow.services import Services

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "invoice.processed",
    "invoice.needs_review",
    "invoice.approved",
    "invoice.rejected",
    "invoice.exported",
    "batch.completed",
)
# Seconds before attempt 2, 3, ...: about 27 hours in all, then the delivery fails (owners can
# still redeliver it by hand).
RETRY_SCHEDULE = (1, 2, 4, 8, 16, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 15 * 3600)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
DELIVERY_TASK = "invoiceflow.deliver_webhook"
QUEUE = "webhooks"


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint just created (or its secret rotated): the secret is in this answer only."""

    record: WebhookEndpoint
    secret: str


def _events(event_types: list[str] | None) -> list[str] | None:
    if event_types is None:
        return None
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        raise ValidationFailed(
            f"event_types must be 1-6 of {', '.join(EVENT_TYPES)}", field="event_types"
        )
    return sorted(set(event_types))


def _box(services: Services) -> SecretBox:
    return SecretBox.from_settings(services.settings)


def _check_url(services: Services, url: str) -> str:
    return parse_http_target(url, allow_loopback=services.settings.loopback_targets_allowed).url


def create_endpoint(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    url: str,
    event_types: list[str],
    description: str = "",
) -> EndpointWithSecret:
    """A new endpoint of ``client_id`` (owners only); its signing secret is in the answer."""
    checked = _check_url(services, url)
    events = _events(event_types) or []
    secret = signing.new_secret()
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        record = webhook_repo.create_endpoint(
            s, client_id=client_id, url=checked, description=(description or "").strip()[:200],
            event_types=events, secret_ciphertext=_box(services).encrypt(secret),
        )  # fmt: skip
    return EndpointWithSecret(record, secret)


def _own_endpoint(s: Session, client_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    load = partial(webhook_repo.get_endpoint, s, endpoint_id)
    return require_owned(s, client_id, OWNERS, load, "webhook endpoint", endpoint_id=endpoint_id)


def update_endpoint(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    rotate_secret: bool = False,
) -> EndpointWithSecret | WebhookEndpoint:
    """Change an endpoint (owners only); with ``rotate_secret`` the new secret is returned."""
    checked = _check_url(services, url) if url is not None else None
    events = _events(event_types)
    secret = signing.new_secret() if rotate_secret else None
    with user_session(services.engine, user.claims) as s:
        _own_endpoint(s, client_id, endpoint_id)
        record = webhook_repo.update_endpoint(
            s, endpoint_id, url=checked, event_types=events, enabled=enabled,
            description=description.strip()[:200] if description is not None else None,
            secret_ciphertext=_box(services).encrypt(secret) if secret else None,
        )  # fmt: skip
    return EndpointWithSecret(record, secret) if secret else record


def delete_endpoint(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, endpoint_id: uuid.UUID
) -> None:
    """Delete an endpoint and its delivery log (owners only)."""
    with user_session(services.engine, user.claims) as s:
        _own_endpoint(s, client_id, endpoint_id)
        webhook_repo.delete_endpoint(s, endpoint_id)


def list_endpoints(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID
) -> list[WebhookEndpoint]:
    """The client's endpoints (owners only)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        return webhook_repo.list_endpoints(s, client_id)


def list_deliveries(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    endpoint_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[WebhookDelivery]:
    """The delivery log, newest first (owners only)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        return webhook_repo.list_deliveries(
            s, client_id, endpoint_id=endpoint_id, status=status, limit=limit, offset=offset
        )


def _own_delivery(s: Session, client_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    load = partial(webhook_repo.get_delivery, s, delivery_id)
    return require_owned(s, client_id, OWNERS, load, "webhook delivery", delivery_id=delivery_id)


def get_delivery(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    """One delivery and its attempts (owners only)."""
    with user_session(services.engine, user.claims) as s:
        found = _own_delivery(s, client_id, delivery_id)
        return found, webhook_repo.attempts(s, delivery_id)


def redeliver(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Queue a delivery again now, with the same webhook-id (owners only; audited)."""
    with user_session(services.engine, user.claims) as s:
        _own_delivery(s, client_id, delivery_id)
        return webhook_repo.redeliver(s, delivery_id)


# The worker ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What one run of ``deliver`` did; ``retry_in`` seconds when another attempt is due."""

    status: str
    retry_in: int | None = None


async def deliver(services: Services, client: httpx.AsyncClient, delivery_id: uuid.UUID) -> Outcome:
    """One attempt of one delivery (the worker's task body; never raises for the receiver)."""

    def load() -> webhook_repo.DueDelivery | None:
        with service_session(services.engine, "webhooks.deliver") as s:
            return webhook_repo.load_for_delivery(s, delivery_id)

    due = await asyncio.to_thread(load)
    if due is None or due.status != "pending":
        return Outcome(due.status if due else "gone")
    if due.url is None or not due.enabled or due.secret_ciphertext is None:

        def stop() -> None:
            with service_session(services.engine, "webhooks.deliver") as s:
                webhook_repo.give_up(s, delivery_id, "the endpoint is disabled or deleted")

        await asyncio.to_thread(stop)
        return Outcome("failed")
    secret = _box(services).decrypt(due.secret_ciphertext)
    body = json.dumps(due.payload, separators=(",", ":"), ensure_ascii=False)
    started = dt.datetime.now(dt.timezone.utc)
    headers = signing.signed_headers(secret, signing.message_id(str(due.event_id)), body, started)
    result = await post_signed(
        client, due.url, body.encode(), headers,
        allow_loopback=services.settings.loopback_targets_allowed,
        timeout=services.settings.webhook_timeout_seconds,
    )  # fmt: skip
    attempt = due.attempts + 1
    outcome = _after_attempt(attempt, delivered=result.delivered)
    next_at = (
        started + dt.timedelta(seconds=outcome.retry_in) if outcome.retry_in is not None else None
    )

    def record() -> None:
        with service_session(services.engine, "webhooks.deliver") as s:
            webhook_repo.record_attempt(
                s, due, started_at=started, duration_ms=result.duration_ms,
                status_code=result.status_code, error=result.error, status=outcome.status,
                next_attempt_at=next_at,
            )  # fmt: skip

    await asyncio.to_thread(record)
    if not result.delivered:
        log.info(
            "webhook attempt failed",
            extra={"delivery_id": str(delivery_id), "attempt": attempt, "error": result.error,
                   "retry_in": outcome.retry_in},
        )  # fmt: skip
    return outcome


def _after_attempt(attempt: int, *, delivered: bool) -> Outcome:
    """The delivery's status after its ``attempt``-th try (the one place it is decided):
    succeeded, pending with the wait before the next try, or failed (no try left)."""
    if delivered:
        return Outcome("succeeded")
    if attempt >= MAX_ATTEMPTS:
        return Outcome("failed")
    return Outcome("pending", RETRY_SCHEDULE[attempt - 1])
