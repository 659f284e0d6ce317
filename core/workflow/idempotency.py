"""Idempotency keys (Stripe's semantics) as use cases: claim a key, keep its response, replay it.

The API's middleware (``api.idempotency``) computes the request's fingerprint and calls these;
each runs in its own short transaction as the caller (the key belongs to that user or service
principal only), so a concurrent request with the same key sees it held at once.
"""

from __future__ import annotations

from core.auth.models import CurrentUser
from core.db import idempotency_repo
from core.db.idempotency_repo import StoredKey
from core.db.session import service_session, user_session
from core.errors import IdempotencyInFlight, IdempotencyKeyReused
from core.workflow.services import Services

__all__ = ["StoredKey", "begin", "forget", "remember", "sweep"]
# A request holding a key this long without answering is taken to be dead (its process went
# away mid-request); a retry with the same request may then run it again.
STALE_SECONDS = 300


def begin(
    *,
    services: Services,
    user: CurrentUser,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
) -> StoredKey | None:
    """None: run the request (it now holds ``key``). A ``StoredKey``: replay its response.

    Raises ``IdempotencyKeyReused`` (422) when the key was used for another request, and
    ``IdempotencyInFlight`` (409) while the first request with it is still running.
    """
    with user_session(services.engine, user.claims) as s:
        held = idempotency_repo.claim(
            s, key=key, fingerprint=fingerprint, method=method, path=path,
            stale_seconds=STALE_SECONDS,
        )  # fmt: skip
    if held is None:
        return None
    if held.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request; use a new key"
        )
    if held.state != "done":
        raise IdempotencyInFlight(
            "a request with this Idempotency-Key is still being processed; retry later"
        )
    return held


def remember(
    *,
    services: Services,
    user: CurrentUser,
    key: str,
    status_code: int,
    headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    """Keep the response of the request that holds ``key`` (24 hours)."""
    with user_session(services.engine, user.claims) as s:
        idempotency_repo.store(s, key=key, status_code=status_code, headers=headers, body=body)


def forget(*, services: Services, user: CurrentUser, key: str) -> None:
    """Release ``key``: its request failed in a way a retry should run again (5xx, 429)."""
    with user_session(services.engine, user.claims) as s:
        idempotency_repo.release(s, key=key)


def sweep(*, services: Services) -> int:
    """Housekeeping: delete keys older than 24 hours; how many."""
    with service_session(services.engine, "idempotency.sweep") as s:
        return idempotency_repo.sweep(s)
