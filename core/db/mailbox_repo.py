"""SQL for per-client IMAP mailboxes (``supabase/migrations/20261206310300_mailboxes.sql``).

Owners manage mailboxes through the doors (audited, never the password); owners and operators
read them and their message log under RLS. The poller finds due mailboxes and records each poll
as the named system task ``mail.poll``; everything a poll does to the client's data (uploads,
the seen store, the message log) runs as the mailbox's own service principal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from core.db.integration_records import Mailbox, MailboxMessage
from core.db.records import columns

_SELECT = f"select {columns(Mailbox)} from public.mailboxes b"  # noqa: S608 - constant
_MESSAGES = f"select {columns(MailboxMessage)} from public.mailbox_messages m"  # noqa: S608


def create(s: Session, *, client_id: UUID, fields: dict[str, Any]) -> Mailbox:
    new_id = s.execute(
        text(
            "select id from public.create_mailbox(:c, :name, :host, :port, :security, :username,"
            " :password, :folder, :processed_folder, :failed_folder, :poll_interval_seconds)"
        ),
        {
            "c": client_id,
            "folder": None,
            "processed_folder": None,
            "failed_folder": None,
            "poll_interval_seconds": None,
            **fields,
        },
    ).scalar_one()
    return get(s, new_id)  # type: ignore[return-value]


def update(s: Session, mailbox_id: UUID, fields: dict[str, Any]) -> Mailbox:
    names = ("name", "host", "port", "security", "username", "password", "folder",
             "processed_folder", "failed_folder", "enabled", "poll_interval_seconds")  # fmt: skip
    s.execute(
        text(
            "select public.update_mailbox(:i, :name, :host, :port, :security, :username,"
            " :password, :folder, :processed_folder, :failed_folder, :enabled,"
            " :poll_interval_seconds)"
        ),
        {"i": mailbox_id, **{n: fields.get(n) for n in names}},
    )
    return get(s, mailbox_id)  # type: ignore[return-value]


def delete(s: Session, mailbox_id: UUID) -> None:
    s.execute(text("select public.delete_mailbox(:i)"), {"i": mailbox_id})


def get(s: Session, mailbox_id: UUID) -> Mailbox | None:
    row = s.execute(text(f"{_SELECT} where b.id = :i"), {"i": mailbox_id}).mappings().first()
    return Mailbox.from_row(row) if row else None


def list_for_client(s: Session, client_id: UUID) -> list[Mailbox]:
    rows = s.execute(
        text(f"{_SELECT} where b.client_id = :c order by b.created_at, b.id"), {"c": client_id}
    )
    return [Mailbox.from_row(r) for r in rows.mappings()]


def messages(
    s: Session, mailbox_id: UUID, *, outcome: str | None, limit: int, offset: int
) -> list[MailboxMessage]:
    rows = s.execute(
        text(
            f"{_MESSAGES} where m.mailbox_id = :i"
            " and (cast(:o as text) is null or m.outcome = :o)"
            " order by m.id desc limit :l offset :off"
        ),
        {"i": mailbox_id, "o": outcome, "l": limit, "off": offset},
    )
    return [MailboxMessage.from_row(r) for r in rows.mappings()]


# The principal (user session of the mailbox's service principal) --------------------------
def seen_get(s: Session, mailbox_id: UUID, key: str) -> str | None:
    value = s.execute(
        text("select value from public.mailbox_seen where mailbox_id = :m and key = :k"),
        {"m": mailbox_id, "k": key},
    ).scalar_one_or_none()
    return None if value is None else str(value)


def seen_put(s: Session, client_id: UUID, mailbox_id: UUID, key: str, value: str) -> None:
    s.execute(
        text(
            "insert into public.mailbox_seen (client_id, mailbox_id, key, value)"
            " values (:c, :m, :k, :v) on conflict (mailbox_id, key)"
            " do update set value = excluded.value, updated_at = now()"
        ),
        {"c": client_id, "m": mailbox_id, "k": key, "v": value[:1000]},
    )


def log_message(s: Session, client_id: UUID, mailbox_id: UUID, report: dict[str, Any]) -> None:
    s.execute(
        text(
            "insert into public.mailbox_messages (client_id, mailbox_id, message_key, uid,"
            " sender, subject, outcome, reason, documents)"
            " values (:c, :m, :k, :u, :s, :sub, :o, :r, cast(:d as jsonb))"
        ),
        {"c": client_id, "m": mailbox_id, "k": report["message_key"][:1000],
         "u": report["uid"], "s": (report["sender"] or "")[:320] or None,
         "sub": (report["subject"] or "")[:1000], "o": report["outcome"],
         "r": (report["reason"] or "")[:2000] or None, "d": json.dumps(report["documents"])},
    )  # fmt: skip


# The poller (service session 'mail.poll') ----------------------------------------------------
@dataclass(frozen=True)
class DueMailbox:
    """A mailbox to poll now, with its (encrypted) password."""

    id: UUID
    client_id: UUID
    principal_id: UUID
    host: str
    port: int
    security: str
    username: str
    password_ciphertext: str
    folder: str
    processed_folder: str
    failed_folder: str


def due(s: Session, *, mailbox_id: UUID | None = None, limit: int = 50) -> list[DueMailbox]:
    """Enabled mailboxes whose interval has passed (or one given mailbox, due or not), locked
    so two workers never poll one mailbox at once (``skip locked``)."""
    rows = s.execute(
        text(
            "select b.id, b.client_id, b.principal_id, b.host, b.port, b.security, b.username,"
            " b.password_ciphertext, b.folder, b.processed_folder, b.failed_folder"
            " from public.mailboxes b where b.enabled"
            " and (cast(:i as uuid) is not null and b.id = :i"
            "      or cast(:i as uuid) is null and (b.last_poll_at is null"
            "      or b.last_poll_at + make_interval(secs => b.poll_interval_seconds) <= now()))"
            " order by b.last_poll_at nulls first limit :l for update skip locked"
        ),
        {"i": mailbox_id, "l": limit},
    )
    found = [DueMailbox(**r) for r in rows.mappings()]
    if found:  # claimed: another worker finds them not due until this poll is recorded
        s.execute(
            text("update public.mailboxes set last_poll_at = now() where id = any(:ids)"),
            {"ids": [b.id for b in found]},
        )
    return found


def record_poll(s: Session, mailbox_id: UUID, *, error: str | None, counts: dict[str, int]) -> None:
    s.execute(
        text(
            "update public.mailboxes set last_poll_at = now(), last_error = cast(:e as text),"
            " last_counts = cast(:c as jsonb),"
            " last_success_at = case when cast(:e as text) is null then now()"
            " else last_success_at end"
            " where id = :i"
        ),
        {"i": mailbox_id, "e": error[:500] if error else None, "c": json.dumps(counts)},
    )


@contextmanager
def poll_lock(engine: Engine, mailbox_id: UUID) -> Iterator[bool]:
    """Hold the mailbox's poll lock for the duration of a poll: True when this worker got it,
    False when another worker is polling the mailbox right now. A session-level advisory lock on
    a connection of its own, so a killed worker's lock goes with its connection."""
    with engine.connect() as conn:
        got = bool(
            conn.execute(
                text("select pg_try_advisory_lock(hashtext('invoiceflow.mailbox:' || :m))"),
                {"m": str(mailbox_id)},
            ).scalar_one()
        )
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(
                    text("select pg_advisory_unlock(hashtext('invoiceflow.mailbox:' || :m))"),
                    {"m": str(mailbox_id)},
                )
                conn.commit()
