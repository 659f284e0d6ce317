"""SQL for API keys: the owners' doors (create, revoke, list) and the API's key check.

Creating and revoking go through the security-definer functions of
``supabase/migrations/20261206310000_service_principals_api_keys.sql``; owners read their
client's keys under RLS. The key check runs on the connecting owner role, like the session
check of ``core.db.auth_accounts``: a presented key is the identity provider's business, not a
user's row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from core.db.integration_records import ApiKey
from core.db.records import columns

_SELECT = f"select {columns(ApiKey)} from public.api_keys k"  # noqa: S608 - constant


def create(
    s: Session,
    *,
    client_id: UUID,
    name: str,
    role: str,
    expires_at: dt.datetime | None,
    prefix: str,
    key_hash: str,
) -> ApiKey:
    """Create the key's principal, membership and row (owners; ``create_api_key``)."""
    row = s.execute(
        text(
            "select id from public.create_api_key(:c, :n, cast(:r as public.member_role), :e,"
            " :p, :h)"
        ),
        {"c": client_id, "n": name, "r": role, "e": expires_at, "p": prefix, "h": key_hash},
    ).scalar_one()
    return get(s, row)


def get(s: Session, key_id: UUID) -> ApiKey:
    """One key the caller may see (raises ``NoResultFound`` otherwise)."""
    row = s.execute(text(f"{_SELECT} where k.id = :i"), {"i": key_id}).mappings().one()
    return ApiKey.from_row(row)


def list_for_client(s: Session, client_id: UUID) -> list[ApiKey]:
    """The client's keys, newest first (RLS: owners)."""
    rows = s.execute(
        text(f"{_SELECT} where k.client_id = :c order by k.created_at desc, k.id"),
        {"c": client_id},
    )
    return [ApiKey.from_row(r) for r in rows.mappings()]


def revoke(s: Session, key_id: UUID) -> ApiKey:
    """Revoke a key (owners; ``revoke_api_key``): its membership goes at once."""
    s.execute(text("select public.revoke_api_key(:i)"), {"i": key_id})
    return get(s, key_id)


def expire(s: Session) -> int:
    """End the membership of expired keys (a service session); how many."""
    return int(s.execute(text("select public.expire_api_keys()")).scalar_one())


@dataclass(frozen=True)
class PresentedKey:
    """What the database knows about a presented key's prefix."""

    id: UUID
    client_id: UUID
    principal_id: UUID
    role: str
    key_hash: str
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    is_member: bool


def lookup(conn: Connection, *, prefix: str, key_hash: str) -> PresentedKey | None:
    """The key with ``prefix`` (None if there is none), recording its use when the hash matches
    and it is live. Last use is written at most every 10 seconds per key."""
    row = conn.execute(
        text(
            "with k as (select id, client_id, principal_id, role::text as role, key_hash,"
            " expires_at, revoked_at from public.api_keys where prefix = :p),"
            " touched as (update public.api_keys a set last_used_at = now() from k"
            "  where a.id = k.id and k.key_hash = :h and k.revoked_at is null"
            "   and (k.expires_at is null or k.expires_at > now())"
            "   and (a.last_used_at is null or a.last_used_at < now() - interval '10 seconds')"
            "  returning a.id)"
            " select k.*, exists (select 1 from public.client_members m"
            "  where m.client_id = k.client_id and m.user_id = k.principal_id) as is_member,"
            " (select count(*) from touched) as touched from k"
        ),
        {"p": prefix, "h": key_hash},
    ).first()
    if row is None:
        return None
    return PresentedKey(row.id, row.client_id, row.principal_id, row.role, row.key_hash,
                        row.expires_at, row.revoked_at, bool(row.is_member))  # fmt: skip
