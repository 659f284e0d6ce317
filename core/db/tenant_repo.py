"""SQL for clients, members, batches and file references (all under the caller's session)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings().all()]


def insert_client(s: Session, *, name: str) -> dict[str, Any]:
    """Create a client through ``public.create_client``; a trigger makes the caller its owner."""
    return dict(
        s.execute(
            text(
                "select id, name, created_by, created_at, updated_at from public.create_client(:n)"
            ),
            {"n": name},
        )
        .mappings()
        .one()
    )


def list_clients(s: Session) -> list[dict[str, Any]]:
    """Clients the session's user belongs to, with their role."""
    return _rows(
        s.execute(
            text(
                "select c.id, c.name, c.created_at, c.updated_at, m.role::text as role"
                " from public.clients c join public.client_members m"
                " on m.client_id = c.id and m.user_id = auth.uid() order by c.name, c.id"
            )
        )
    )


def get_client(s: Session, client_id: UUID) -> dict[str, Any] | None:
    """One client visible to the session, with the caller's role (None when not a member)."""
    rows = _rows(
        s.execute(
            text(
                "select c.id, c.name, c.created_at, c.updated_at, m.role::text as role"
                " from public.clients c left join public.client_members m"
                " on m.client_id = c.id and m.user_id = auth.uid() where c.id = :id"
            ),
            {"id": client_id},
        )
    )
    return rows[0] if rows else None


def list_members(s: Session, client_id: UUID) -> list[dict[str, Any]]:
    """Members of a client (visible to members only), with e-mail from auth.users when allowed."""
    return _rows(
        s.execute(
            text(
                "select client_id, user_id, role::text as role, created_at, updated_at"
                " from public.client_members where client_id = :c order by created_at, user_id"
            ),
            {"c": client_id},
        )
    )


def update_member_role(
    s: Session, *, client_id: UUID, user_id: UUID, role: str
) -> dict[str, Any] | None:
    """Change an existing member's role (RLS: owners only); None when nothing was updated."""
    row = (
        s.execute(
            text(
                "update public.client_members set role = cast(:r as public.member_role)"
                " where client_id = :c and user_id = :u"
                " returning client_id, user_id, role::text as role, created_at, updated_at"
            ),
            {"c": client_id, "u": user_id, "r": role},
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def delete_member(s: Session, *, client_id: UUID, user_id: UUID) -> bool:
    """Remove a member; False when nothing visible/allowed was deleted."""
    result = s.execute(
        text("delete from public.client_members where client_id = :c and user_id = :u"),
        {"c": client_id, "u": user_id},
    )
    return bool(getattr(result, "rowcount", 0))


def count_owners(s: Session, client_id: UUID) -> int:
    """Number of owners of a client."""
    return int(
        s.execute(
            text(
                "select count(*) from public.client_members where client_id = :c and role = 'owner'"
            ),
            {"c": client_id},
        ).scalar_one()
    )


def insert_batch(
    s: Session,
    *,
    client_id: UUID,
    name: str | None,
    file_count: int,
    batch_id: UUID | None = None,
    status: str = "processing",
) -> UUID:
    """Create an upload batch (with the caller's id when given)."""
    return s.execute(
        text(
            "insert into public.batches (id, client_id, name, file_count, status)"
            " values (coalesce(:id, gen_random_uuid()), :c, :n, :k, :st) returning id"
        ),
        {"id": batch_id, "c": client_id, "n": name, "k": file_count, "st": status},
    ).scalar_one()


def get_batch(s: Session, batch_id: UUID) -> dict[str, Any] | None:
    """A batch visible to the session with invoice counts per status."""
    rows = _rows(s.execute(text("select * from public.batches where id = :id"), {"id": batch_id}))
    if not rows:
        return None
    batch = rows[0]
    counts = s.execute(
        text("select status, count(*) from public.invoices where batch_id = :b group by status"),
        {"b": batch_id},
    ).all()
    batch["counts"] = {str(status): int(n) for status, n in counts}
    return batch


def list_batches(s: Session, client_id: UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Batches of a client, newest first."""
    return _rows(
        s.execute(
            text(
                "select * from public.batches where client_id = :c"
                " order by created_at desc, id limit :l offset :o"
            ),
            {"c": client_id, "l": limit, "o": offset},
        )
    )


def set_batch_status(s: Session, batch_id: UUID, status: str) -> None:
    """Mark a batch processing or done."""
    s.execute(
        text("update public.batches set status = :s where id = :id and status <> :s"),
        {"s": status, "id": batch_id},
    )


def file_by_sha(s: Session, *, client_id: UUID, sha256: str) -> dict[str, Any] | None:
    """The client's file with these bytes, with the invoice made from it."""
    rows = _rows(
        s.execute(
            text(
                "select f.*, i.id as invoice_id from public.files f"
                " left join public.invoices i on i.file_id = f.id"
                " where f.client_id = :c and f.sha256 = :h"
            ),
            {"c": client_id, "h": sha256},
        )
    )
    return rows[0] if rows else None


def insert_file(s: Session, values: Mapping[str, Any]) -> UUID:
    """Record a stored file."""
    return s.execute(
        text(
            "insert into public.files (client_id, bucket, object_key, original_name,"
            " content_type, size_bytes, sha256) values (:client_id, :bucket, :object_key,"
            " :original_name, :content_type, :size_bytes, :sha256) returning id"
        ),
        dict(values),
    ).scalar_one()


def get_file(s: Session, file_id: UUID) -> dict[str, Any] | None:
    """One file reference visible to the session."""
    rows = _rows(s.execute(text("select * from public.files where id = :id"), {"id": file_id}))
    return rows[0] if rows else None


def delete_file(s: Session, file_id: UUID) -> None:
    """Delete a file reference."""
    s.execute(text("delete from public.files where id = :id"), {"id": file_id})


def ping(s: Session) -> None:
    """A round trip to the database."""
    s.execute(text("select 1")).scalar_one()
