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


def session_is_live(conn: Connection, *, session_id: UUID, user_id: UUID) -> bool:
    """True while the session exists, belongs to the user and has not passed ``not_after``."""
    row = conn.execute(
        text(
            "select 1 from auth.sessions where id = :sid and user_id = :uid"
            " and (not_after is null or not_after > now())"
        ),
        {"sid": session_id, "uid": user_id},
    ).first()
    return row is not None


def delete_session(conn: Connection, session_id: UUID) -> bool:
    """Revoke a session; its refresh tokens go with it (FK cascade). False if already gone."""
    row = conn.execute(
        text("delete from auth.sessions where id = :sid returning id"), {"sid": session_id}
    ).first()
    return row is not None


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


def failure_state(
    conn: Connection, email: str, window_seconds: int
) -> tuple[int, datetime, datetime]:
    """(recent failures, time of the last one, database now) for an e-mail."""
    row = conn.execute(
        text(
            "select case when last_failure_at > now() - make_interval(secs => :window)"
            " then failures else 0 end as failures, last_failure_at, now() as now"
            " from auth.signin_failures where email = :email"
        ),
        {"email": email, "window": window_seconds},
    ).first()
    if row is None:
        now = conn.execute(text("select now()")).scalar_one()
        return 0, now, now
    return int(row.failures), row.last_failure_at, row.now


def record_failure(conn: Connection, email: str, window_seconds: int) -> int:
    """Count one failed sign-in (forgetting failures older than the window); return the count."""
    # Sweep counters nobody has touched for a while, so spraying random e-mails cannot grow
    # the table without bound.
    conn.execute(
        text(
            "delete from auth.signin_failures"
            " where last_failure_at < now() - make_interval(secs => :window * 2)"
        ),
        {"window": window_seconds},
    )
    return int(
        conn.execute(
            text(
                "insert into auth.signin_failures as f (email, failures, last_failure_at)"
                " values (:email, 1, now()) on conflict (email) do update set"
                " failures = case when f.last_failure_at > now() - make_interval(secs => :window)"
                " then f.failures + 1 else 1 end, last_failure_at = now() returning failures"
            ),
            {"email": email, "window": window_seconds},
        ).scalar_one()
    )


def clear_failures(conn: Connection, email: str) -> None:
    """Forget the failures of an e-mail after a successful sign-in."""
    conn.execute(text("delete from auth.signin_failures where email = :email"), {"email": email})
