"""SQL for the local auth adapter: ``auth.users``, ``auth.sessions``, ``auth.refresh_tokens``.

These run on the connecting owner role, the way GoTrue runs as ``supabase_auth_admin``: the auth
tables are the identity provider's own state, not user data, so no RLS role is assumed here.
Refresh tokens are stored only as SHA-256 hex digests; the raw token never reaches the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class AccountRow:
    """The columns of ``auth.users`` the adapter needs."""

    id: UUID
    email: str
    encrypted_password: str | None
    app_metadata: dict[str, Any]
    user_metadata: dict[str, Any]
    banned_until: datetime | None
    deleted_at: datetime | None


@dataclass(frozen=True)
class RefreshTokenRow:
    """One stored refresh token and the state of its session."""

    id: int
    user_id: UUID
    session_id: UUID | None
    revoked: bool
    created_at: datetime
    session_not_after: datetime | None
    session_exists: bool


_USER_COLUMNS = (
    "id, email, encrypted_password, coalesce(raw_app_meta_data, '{}'::jsonb) as app_md, "
    "coalesce(raw_user_meta_data, '{}'::jsonb) as user_md, banned_until, deleted_at"
)


def _account(row: Any) -> AccountRow:
    return AccountRow(row.id, row.email, row.encrypted_password, row.app_md, row.user_md,
                      row.banned_until, row.deleted_at)  # fmt: skip


def insert_user(
    conn: Connection,
    *,
    user_id: UUID,
    email: str,
    password_hash: str,
    app_metadata: dict[str, Any],
    user_metadata: dict[str, Any],
) -> bool:
    """Insert a confirmed user; False when the e-mail is taken."""
    row = conn.execute(
        text(
            "insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at,"
            " raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at)"
            " values (:id, 'authenticated', 'authenticated', :email, :pw, now(),"
            " cast(:app as jsonb), cast(:meta as jsonb), false, now(), now())"
            " on conflict (email) do nothing returning id"
        ),
        {
            "id": user_id,
            "email": email,
            "pw": password_hash,
            "app": json.dumps(app_metadata),
            "meta": json.dumps(user_metadata),
        },
    ).first()
    return row is not None


def find_user_by_email(conn: Connection, email: str) -> AccountRow | None:
    """The user with this (lower-cased) e-mail, if any."""
    row = conn.execute(
        text(f"select {_USER_COLUMNS} from auth.users where email = :email"),  # noqa: S608
        {"email": email},
    ).first()
    return _account(row) if row else None


def find_user_by_id(conn: Connection, user_id: UUID) -> AccountRow | None:
    """The user with this id, if any."""
    row = conn.execute(
        text(f"select {_USER_COLUMNS} from auth.users where id = :id"),  # noqa: S608
        {"id": user_id},
    ).first()
    return _account(row) if row else None


def create_session(
    conn: Connection, *, session_id: UUID, user_id: UUID, not_after: datetime
) -> None:
    """Open a session and record the sign-in time."""
    conn.execute(
        text(
            "insert into auth.sessions (id, user_id, created_at, updated_at, not_after)"
            " values (:sid, :uid, now(), now(), :not_after)"
        ),
        {"sid": session_id, "uid": user_id, "not_after": not_after},
    )
    conn.execute(
        text("update auth.users set last_sign_in_at = now(), updated_at = now() where id = :uid"),
        {"uid": user_id},
    )


def session_revocation(conn: Connection, *, session_id: UUID, user_id: UUID) -> str | None:
    """None while the session is live; else why it is not (a short reason for the message).

    Live means: the user exists, is not soft-deleted and not banned, and the session exists,
    belongs to the user and has not passed ``not_after``. GoTrue keeps the same columns, so this
    reads a Supabase project's ``auth`` schema as well as the local one.
    """
    row = conn.execute(
        text(
            "select u.deleted_at is not null as deleted,"
            " coalesce(u.banned_until > now(), false) as banned,"
            " s.id is not null as has_session, coalesce(s.not_after <= now(), false) as expired"
            " from auth.users u left join auth.sessions s on s.id = :sid and s.user_id = u.id"
            " where u.id = :uid"
        ),
        {"sid": session_id, "uid": user_id},
    ).first()
    if row is None or row.deleted:
        return "this account no longer exists"
    if row.banned:
        return "this account is disabled"
    if not row.has_session:
        return "this session was signed out or revoked; sign in again"
    if row.expired:
        return "this session has expired; sign in again"
    return None


def can_read_sessions(conn: Connection) -> bool:
    """Whether this connection's role may read ``auth.sessions`` and ``auth.users``."""
    return bool(
        conn.execute(
            text(
                "select coalesce(has_table_privilege(to_regclass('auth.sessions'), 'select')"
                " and has_table_privilege(to_regclass('auth.users'), 'select'), false)"
            )
        ).scalar_one()
    )


def delete_session(conn: Connection, session_id: UUID) -> bool:
    """Revoke a session; its refresh tokens go with it (FK cascade). False if already gone."""
    row = conn.execute(
        text("delete from auth.sessions where id = :sid returning id"), {"sid": session_id}
    ).first()
    return row is not None


def delete_user_sessions(conn: Connection, user_id: UUID) -> list[str]:
    """Revoke every session of a user (sign-out everywhere); return the revoked ids."""
    rows = conn.execute(
        text("delete from auth.sessions where user_id = :uid returning id"), {"uid": user_id}
    ).all()
    return [str(row.id) for row in rows]


def insert_refresh_token(
    conn: Connection, *, token_hash: str, user_id: UUID, session_id: UUID, parent: str | None
) -> None:
    """Store a new refresh token (its digest) in the session's rotation chain."""
    conn.execute(
        text(
            "insert into auth.refresh_tokens (token, user_id, revoked, parent, session_id,"
            " created_at, updated_at) values (:token, :uid, false, :parent, :sid, now(), now())"
        ),
        {"token": token_hash, "uid": str(user_id), "parent": parent, "sid": session_id},
    )


def lock_refresh_token(conn: Connection, token_hash: str) -> RefreshTokenRow | None:
    """Fetch a refresh token row FOR UPDATE, so concurrent refreshes serialise on it."""
    row = conn.execute(
        text(
            "select t.id, t.user_id, t.session_id, coalesce(t.revoked, false) as revoked,"
            " t.created_at, s.not_after, s.id is not null as session_exists"
            " from auth.refresh_tokens t left join auth.sessions s on s.id = t.session_id"
            " where t.token = :token for update of t"
        ),
        {"token": token_hash},
    ).first()
    if row is None:
        return None
    return RefreshTokenRow(
        id=row.id,
        user_id=UUID(row.user_id),
        session_id=row.session_id,
        revoked=row.revoked,
        created_at=row.created_at,
        session_not_after=row.not_after,
        session_exists=row.session_exists,
    )


def revoke_refresh_token(conn: Connection, token_id: int, session_id: UUID) -> None:
    """Mark a token rotated and touch its session's refresh time."""
    conn.execute(
        text("update auth.refresh_tokens set revoked = true, updated_at = now() where id = :id"),
        {"id": token_id},
    )
    conn.execute(
        text("update auth.sessions set refreshed_at = now(), updated_at = now() where id = :sid"),
        {"sid": session_id},
    )


@dataclass(frozen=True)
class ThrottleRule:
    """How many failures a counter tolerates, then how long to wait (doubling, capped)."""

    limit: int
    base_seconds: float
    cap_seconds: float


# Seconds the next attempt must wait after the last counted one (0 below the limit). The exponent
# is capped so that a huge counter cannot overflow power().
_WAIT = (
    "case when f.failures < :limit then 0 else least(:base * power(2.0::float8,"
    " least(f.failures - :limit, 30)::float8), :cap) end"
)
_FRESH = "f.last_failure_at > now() - make_interval(secs => :window)"


def _reserve(conn: Connection, table: str, key: dict[str, str], rule: ThrottleRule,
             window_seconds: int) -> float | None:  # fmt: skip
    columns = ", ".join(key)
    params = {**key, "window": window_seconds, "limit": rule.limit,
              "base": rule.base_seconds, "cap": rule.cap_seconds}  # fmt: skip
    # The upsert locks the counter row (ON CONFLICT locks the existing row before its WHERE is
    # evaluated), so concurrent attempts on one key are counted and checked one after another.
    row = conn.execute(
        text(
            f"insert into {table} as f ({columns}, failures, last_failure_at)"  # noqa: S608
            f" values ({', '.join(':' + k for k in key)}, 1, now())"
            f" on conflict ({columns}) do update set"
            f" failures = case when {_FRESH} then f.failures + 1 else 1 end,"
            " last_failure_at = now()"
            f" where not ({_FRESH}) or f.failures < :limit"
            f" or f.last_failure_at + make_interval(secs => {_WAIT}) <= now()"
            " returning failures"
        ),
        params,
    ).first()
    if row is not None:
        return None
    match = " and ".join(f"f.{k} = :{k}" for k in key)
    wait = conn.execute(
        text(
            f"select extract(epoch from f.last_failure_at + make_interval(secs => {_WAIT})"  # noqa: S608
            f" - now()) from {table} f where {match}"
        ),
        params,
    ).scalar_one()
    return max(float(wait), 0.001)


def reserve_signin_attempt(
    conn: Connection,
    *,
    email: str,
    address: str,
    window_seconds: int,
    by_address: ThrottleRule,
    by_email: ThrottleRule,
) -> float | None:
    """Count a sign-in attempt as a failure BEFORE its password is checked, if allowed.

    None when the attempt may go on (``forgive_signin_attempt`` takes it back after a success);
    otherwise the seconds to wait, and the caller must roll the transaction back. Counting and
    checking are one statement per counter under its row lock, in the caller's transaction, so
    N concurrent guesses can never evaluate more passwords than the limit allows. The lock is
    keyed by (e-mail, address); the e-mail alone only slows down (its rule has a small cap).
    Counters untouched for two windows are swept (a few rows per attempt, skipping locked ones).
    """
    for table in ("auth.signin_failures_by_address", "auth.signin_failures"):
        conn.execute(
            text(
                f"delete from {table} where ctid in (select ctid from {table}"  # noqa: S608
                " where last_failure_at < now() - make_interval(secs => :window * 2)"
                " limit 100 for update skip locked)"
            ),
            {"window": window_seconds},
        )
    wait = _reserve(
        conn,
        "auth.signin_failures_by_address",
        {"email": email, "client_address": address},
        by_address,
        window_seconds,
    )
    if wait is not None:
        return wait
    return _reserve(conn, "auth.signin_failures", {"email": email}, by_email, window_seconds)


def forgive_signin_attempt(conn: Connection, *, email: str, address: str) -> None:
    """After a successful sign-in: clear this address's counter, take back this attempt."""
    conn.execute(
        text(
            "delete from auth.signin_failures_by_address where email = :e and client_address = :a"
        ),
        {"e": email, "a": address},
    )
    conn.execute(
        text(
            "update auth.signin_failures set failures = greatest(failures - 1, 0) where email = :e"
        ),
        {"e": email},
    )
