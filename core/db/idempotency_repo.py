"""SQL for idempotency keys: claim a key for a request, store its response, replay it.

Every statement runs in the caller's own user session (RLS: a principal reaches only its own
keys). ``claim`` is one upsert: it takes a key that is new, expired, or held by a request with
the same fingerprint that stopped answering long ago (its process died); otherwise it reports
what holds the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class StoredKey:
    """A key already in use: its request's fingerprint, its state and (when done) its response."""

    fingerprint: str
    state: str
    status_code: int | None
    headers: list[tuple[str, str]]
    body: bytes


def claim(
    s: Session, *, key: str, fingerprint: str, method: str, path: str, stale_seconds: int
) -> StoredKey | None:
    """None when this request now holds ``key``; else what already holds it."""
    taken = s.execute(
        text(
            "insert into public.idempotency_keys as k (key, fingerprint, method, path)"
            " values (:k, :f, :m, :p)"
            " on conflict (principal_id, key) do update set fingerprint = excluded.fingerprint,"
            "  method = excluded.method, path = excluded.path, state = 'in_flight',"
            "  status_code = null, response_headers = null, response_body = null,"
            "  created_at = now(), locked_at = now(), expires_at = now() + interval '24 hours'"
            " where k.expires_at <= now()"
            "  or (k.state = 'in_flight' and k.fingerprint = excluded.fingerprint"
            "      and k.locked_at < now() - make_interval(secs => :stale))"
            " returning 1"
        ),
        {"k": key, "f": fingerprint, "m": method, "p": path, "stale": stale_seconds},
    ).first()
    if taken is not None:
        return None
    row = s.execute(
        text(
            "select fingerprint, state, status_code, response_headers, response_body"
            " from public.idempotency_keys where principal_id = auth.uid() and key = :k"
        ),
        {"k": key},
    ).first()
    if row is None:  # deleted between the two statements: treat as held, the client retries
        return StoredKey(fingerprint, "in_flight", None, [], b"")
    headers: Any = row.response_headers or []
    return StoredKey(
        row.fingerprint,
        row.state,
        row.status_code,
        [(str(h[0]), str(h[1])) for h in headers],
        bytes(row.response_body or b""),
    )


def store(
    s: Session, *, key: str, status_code: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    """Record the response of the request that holds ``key``."""
    s.execute(
        text(
            "update public.idempotency_keys set state = 'done', status_code = :s,"
            " response_headers = cast(:h as jsonb), response_body = :b"
            " where principal_id = auth.uid() and key = :k"
        ),
        {"k": key, "s": status_code, "h": json.dumps(headers), "b": body},
    )


def release(s: Session, *, key: str) -> None:
    """Forget ``key`` (its request failed in a way a retry should repeat)."""
    s.execute(
        text("delete from public.idempotency_keys where principal_id = auth.uid() and key = :k"),
        {"k": key},
    )


def sweep(s: Session) -> int:
    """Delete expired keys (a service session); how many."""
    result = s.execute(text("delete from public.idempotency_keys where expires_at <= now()"))
    return int(getattr(result, "rowcount", 0) or 0)
