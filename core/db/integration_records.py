"""Typed records of the integration tables (issue 17): API keys, webhooks, mailboxes, export jobs,
file splits. As in ``core.db.records``, each record's fields are its repository's select list."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from core.db.records import JSON, Record


@dataclass(frozen=True, slots=True)
class ApiKey(Record):
    """An API key as its client's owners see it (never the key, never its hash)."""

    _table: ClassVar[str] = "k"
    _computed: ClassVar[Mapping[str, str]] = {
        "role": "k.role::text",
        "status": (
            "case when k.revoked_at is not null then 'revoked'"
            " when k.expires_at is not null and k.expires_at <= now() then 'expired'"
            " else 'active' end"
        ),
    }

    id: uuid.UUID
    client_id: uuid.UUID
    principal_id: uuid.UUID
    name: str
    role: str
    prefix: str
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    created_by: uuid.UUID | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    status: str = "active"

    @property
    def display_prefix(self) -> str:
        """What identifies the key in lists and logs: ``ifk_<prefix>``."""
        return f"ifk_{self.prefix}"


@dataclass(frozen=True, slots=True)
class WebhookEndpoint(Record):
    """A client's webhook endpoint (never its secret)."""

    _table: ClassVar[str] = "e"

    id: uuid.UUID
    client_id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    created_by: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WebhookDelivery(Record):
    """One event for one endpoint: the delivery log's row."""

    _table: ClassVar[str] = "d"

    id: uuid.UUID
    client_id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    payload: JSON
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None
    succeeded_at: dt.datetime | None
    manual_redeliveries: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WebhookAttempt(Record):
    """One attempt of a delivery."""

    _table: ClassVar[str] = "a"

    id: int
    delivery_id: uuid.UUID
    attempt: int
    started_at: dt.datetime
    duration_ms: int
    status_code: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Mailbox(Record):
    """A client's IMAP mailbox (never its password) and its last poll."""

    _table: ClassVar[str] = "b"

    id: uuid.UUID
    client_id: uuid.UUID
    principal_id: uuid.UUID
    name: str
    host: str
    port: int
    security: str
    username: str
    folder: str
    processed_folder: str
    failed_folder: str
    enabled: bool
    poll_interval_seconds: int
    last_poll_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str | None
    last_counts: JSON
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class MailboxMessage(Record):
    """What happened to one message of a mailbox."""

    _table: ClassVar[str] = "m"

    id: int
    mailbox_id: uuid.UUID
    message_key: str
    uid: int | None
    sender: str | None
    subject: str | None
    outcome: str
    reason: str | None
    documents: list[Any]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ExportJob(Record):
    """An export job and, once done, its file's facts."""

    _table: ClassVar[str] = "j"

    id: uuid.UUID
    created_by: uuid.UUID
    client_id: uuid.UUID | None
    format: str
    params: JSON
    status: str
    error: str | None
    row_count: int | None
    file_name: str | None
    content_type: str | None
    size_bytes: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FileSplit(Record):
    """One split of a file into invoices (detected by a worker or set by an operator)."""

    _table: ClassVar[str] = "s"

    id: uuid.UUID
    client_id: uuid.UUID
    file_id: uuid.UUID
    source: str
    parts: list[Any]
    plan: JSON
    invoice_ids: list[uuid.UUID]
    created_by: uuid.UUID | None
    created_at: dt.datetime
