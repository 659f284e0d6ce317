"""SQL for webhooks: the owners' doors and reads (user sessions, RLS), and the delivery worker's
reads and writes (service session ``webhooks.deliver``).

Endpoints change only through the security-definer doors of
``supabase/migrations/20261206310200_webhooks.sql`` (each audited, never with the secret); the
outbox (deliveries + their jobs) is written by the database itself, in the transaction of the
audited change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.integration_records import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from core.db.records import columns

_ENDPOINTS = f"select {columns(WebhookEndpoint)} from public.webhook_endpoints e"  # noqa: S608
_DELIVERIES = f"select {columns(WebhookDelivery)} from public.webhook_deliveries d"  # noqa: S608
_ATTEMPTS = f"select {columns(WebhookAttempt)} from public.webhook_attempts a"  # noqa: S608


# Owners (user sessions) ----------------------------------------------------------------------
def create_endpoint(
    s: Session,
    *,
    client_id: UUID,
    url: str,
    description: str,
    event_types: list[str],
    secret_ciphertext: str,
) -> WebhookEndpoint:
    new_id = s.execute(
        text("select id from public.create_webhook_endpoint(:c, :u, :d, :e, :s)"),
        {"c": client_id, "u": url, "d": description, "e": event_types, "s": secret_ciphertext},
    ).scalar_one()
    return get_endpoint(s, new_id)  # type: ignore[return-value]


def update_endpoint(
    s: Session,
    endpoint_id: UUID,
    *,
    url: str | None,
    description: str | None,
    event_types: list[str] | None,
    enabled: bool | None,
    secret_ciphertext: str | None,
) -> WebhookEndpoint:
    s.execute(
        text("select public.update_webhook_endpoint(:i, :u, :d, :e, :n, :s)"),
        {"i": endpoint_id, "u": url, "d": description, "e": event_types, "n": enabled,
         "s": secret_ciphertext},
    )  # fmt: skip
    return get_endpoint(s, endpoint_id)  # type: ignore[return-value]


def delete_endpoint(s: Session, endpoint_id: UUID) -> None:
    s.execute(text("select public.delete_webhook_endpoint(:i)"), {"i": endpoint_id})


def get_endpoint(s: Session, endpoint_id: UUID) -> WebhookEndpoint | None:
    row = s.execute(text(f"{_ENDPOINTS} where e.id = :i"), {"i": endpoint_id}).mappings().first()
    return WebhookEndpoint.from_row(row) if row else None


def list_endpoints(s: Session, client_id: UUID) -> list[WebhookEndpoint]:
    rows = s.execute(
        text(f"{_ENDPOINTS} where e.client_id = :c order by e.created_at, e.id"), {"c": client_id}
    )
    return [WebhookEndpoint.from_row(r) for r in rows.mappings()]


def list_deliveries(
    s: Session,
    client_id: UUID,
    *,
    endpoint_id: UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[WebhookDelivery]:
    rows = s.execute(
        text(
            f"{_DELIVERIES} where d.client_id = :c"
            " and (cast(:e as uuid) is null or d.endpoint_id = :e)"
            " and (cast(:s as text) is null or d.status = :s)"
            " order by d.created_at desc, d.id limit :l offset :o"
        ),
        {"c": client_id, "e": endpoint_id, "s": status, "l": limit, "o": offset},
    )
    return [WebhookDelivery.from_row(r) for r in rows.mappings()]


def get_delivery(s: Session, delivery_id: UUID) -> WebhookDelivery | None:
    row = s.execute(text(f"{_DELIVERIES} where d.id = :i"), {"i": delivery_id}).mappings().first()
    return WebhookDelivery.from_row(row) if row else None


def attempts(s: Session, delivery_id: UUID) -> list[WebhookAttempt]:
    rows = s.execute(
        text(f"{_ATTEMPTS} where a.delivery_id = :i order by a.id"), {"i": delivery_id}
    )
    return [WebhookAttempt.from_row(r) for r in rows.mappings()]


def redeliver(s: Session, delivery_id: UUID) -> WebhookDelivery:
    s.execute(text("select public.redeliver_webhook(:i)"), {"i": delivery_id})
    return get_delivery(s, delivery_id)  # type: ignore[return-value]


# The delivery worker (service session) -------------------------------------------------------
@dataclass(frozen=True)
class DueDelivery:
    """A delivery to attempt now, with its endpoint's URL and (encrypted) secret."""

    id: UUID
    client_id: UUID
    event_id: UUID
    event_type: str
    payload: dict[str, Any]
    status: str
    attempts: int
    url: str | None
    enabled: bool
    secret_ciphertext: str | None


def load_for_delivery(s: Session, delivery_id: UUID) -> DueDelivery | None:
    row = s.execute(
        text(
            "select d.id, d.client_id, d.event_id, d.event_type, d.payload, d.status, d.attempts,"
            " e.url, coalesce(e.enabled, false) as enabled, e.secret_ciphertext"
            " from public.webhook_deliveries d"
            " left join public.webhook_endpoints e on e.id = d.endpoint_id"
            " where d.id = :i"
        ),
        {"i": delivery_id},
    ).first()
    if row is None:
        return None
    return DueDelivery(row.id, row.client_id, row.event_id, row.event_type, dict(row.payload),
                       row.status, row.attempts, row.url, bool(row.enabled),
                       row.secret_ciphertext)  # fmt: skip


def record_attempt(
    s: Session,
    delivery: DueDelivery,
    *,
    started_at: dt.datetime,
    duration_ms: int,
    status_code: int | None,
    error: str | None,
    status: str,
    next_attempt_at: dt.datetime | None,
) -> None:
    """Log the attempt and move the delivery to ``status`` (decided by
    ``core.workflow.webhooks``): succeeded, pending (retry at ``next_attempt_at``) or failed."""
    attempt = delivery.attempts + 1
    s.execute(
        text(
            "insert into public.webhook_attempts (client_id, delivery_id, attempt, started_at,"
            " duration_ms, status_code, error) values (:c, :d, :a, :t, :ms, :sc, :e)"
        ),
        {"c": delivery.client_id, "d": delivery.id, "a": attempt, "t": started_at,
         "ms": duration_ms, "sc": status_code, "e": error},
    )  # fmt: skip
    s.execute(
        text(
            "update public.webhook_deliveries set attempts = :a, last_attempt_at = :t,"
            " last_status_code = :sc, last_error = :e, status = :st,"
            " next_attempt_at = :n, succeeded_at = case when :st = 'succeeded' then now() end"
            " where id = :d"
        ),
        {"a": attempt, "t": started_at, "sc": status_code, "e": error, "st": status,
         "n": next_attempt_at, "d": delivery.id},
    )  # fmt: skip


def give_up(s: Session, delivery_id: UUID, reason: str) -> None:
    """Fail a delivery without an attempt (its endpoint was disabled or deleted)."""
    s.execute(
        text(
            "update public.webhook_deliveries set status = 'failed', next_attempt_at = null,"
            " last_error = :r where id = :d and status = 'pending'"
        ),
        {"d": delivery_id, "r": reason[:500]},
    )


def rearm_orphans(s: Session, *, grace_seconds: int = 30) -> int:
    """Queue again every pending delivery that is overdue and has no job (its worker died
    between recording an attempt and queueing the retry); how many."""
    rows = (
        s.execute(
            text(
                "select d.id from public.webhook_deliveries d"
                " where d.status = 'pending'"
                "  and d.next_attempt_at < now() - make_interval(secs => :g)"
                "  and not exists (select 1 from public.procrastinate_jobs j"
                "   where j.queueing_lock = 'webhook:' || d.id::text"
                "    and j.status in ('todo', 'doing'))"
                " limit 1000"
            ),
            {"g": grace_seconds},
        )
        .scalars()
        .all()
    )
    for delivery_id in rows:
        s.execute(text("select public.defer_webhook_delivery(:i)"), {"i": delivery_id})
    return len(rows)
