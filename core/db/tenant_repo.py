"""SQL for clients, members, batches and file references (all under the caller's session).

Rows come back as the records of ``core.db.records`` (``Client``, ``Member``, ``Batch``, ``File``).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.records import Batch, Client, File, Member, columns


def insert_client(s: Session, *, name: str) -> Client:
    """Create a client through ``public.create_client``; a trigger makes the caller its owner."""
    row = s.execute(
        text("select id, name, created_at, updated_at from public.create_client(:n)"),
        {"n": name},
    )
    return Client.from_row({**row.mappings().one(), "role": "owner"})


def list_clients(s: Session) -> list[Client]:
    """Clients the session's user belongs to, with their role."""
    rows = s.execute(
        text(
            f"select {columns(Client)} from public.clients c"  # noqa: S608 - constant
            " join public.client_members m on m.client_id = c.id and m.user_id = auth.uid()"
            " order by c.name, c.id"
        )
    )
    return [Client.from_row(r) for r in rows.mappings()]


def get_client(s: Session, client_id: UUID) -> Client | None:
    """One client visible to the session, with the caller's role (None when not a member)."""
    row = s.execute(
        text(
            f"select {columns(Client)} from public.clients c"  # noqa: S608 - constant
            " left join public.client_members m on m.client_id = c.id and m.user_id = auth.uid()"
            " where c.id = :id"
        ),
        {"id": client_id},
    ).mappings()
    found = row.first()
    return None if found is None else Client.from_row(found)


def list_members(s: Session, client_id: UUID) -> list[Member]:
    """Members of a client (visible to members only)."""
    rows = s.execute(
        text(
            f"select {columns(Member)} from public.client_members m"  # noqa: S608 - constant
            " where m.client_id = :c order by m.created_at, m.user_id"
        ),
        {"c": client_id},
    )
    return [Member.from_row(r) for r in rows.mappings()]


def update_member_role(s: Session, *, client_id: UUID, user_id: UUID, role: str) -> Member | None:
    """Change an existing member's role (RLS: owners only); None when nothing was updated."""
    row = (
        s.execute(
            text(
                "update public.client_members m set role = cast(:r as public.member_role)"  # noqa: S608
                " where m.client_id = :c and m.user_id = :u"
                f" returning {columns(Member)}"
            ),
            {"c": client_id, "u": user_id, "r": role},
        )
        .mappings()
        .first()
    )
    return None if row is None else Member.from_row(row)


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


_BATCH_SELECT = f"select {columns(Batch)} from public.batches b"  # noqa: S608 - constant


def get_batch(s: Session, batch_id: UUID) -> Batch | None:
    """A batch visible to the session with invoice counts per status."""
    row = s.execute(text(_BATCH_SELECT + " where b.id = :id"), {"id": batch_id}).mappings().first()
    if row is None:
        return None
    counts = s.execute(
        text("select status, count(*) from public.invoices where batch_id = :b group by status"),
        {"b": batch_id},
    ).all()
    return Batch.from_row({**row, "counts": {str(status): int(n) for status, n in counts}})


def list_batches(s: Session, client_id: UUID, *, limit: int, offset: int) -> list[Batch]:
    """Batches of a client, newest first."""
    rows = s.execute(
        text(
            _BATCH_SELECT + " where b.client_id = :c order by b.created_at desc, b.id"
            " limit :l offset :o"
        ),
        {"c": client_id, "l": limit, "o": offset},
    )
    return [Batch.from_row(r) for r in rows.mappings()]


def set_batch_status(s: Session, batch_id: UUID, status: str) -> None:
    """Mark a batch processing or done."""
    s.execute(
        text("update public.batches set status = :s where id = :id and status <> :s"),
        {"s": status, "id": batch_id},
    )


def get_file(s: Session, file_id: UUID) -> File | None:
    """One file reference visible to the session."""
    row = s.execute(
        text(f"select {columns(File)} from public.files f where f.id = :id"),  # noqa: S608
        {"id": file_id},
    ).mappings()
    found = row.first()
    return None if found is None else File.from_row(found)


def delete_file(s: Session, file_id: UUID) -> None:
    """Delete a file reference."""
    s.execute(text("delete from public.files where id = :id"), {"id": file_id})


def ping(s: Session) -> None:
    """A round trip to the database."""
    s.execute(text("select 1")).scalar_one()
