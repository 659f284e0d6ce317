"""The append-only audit log (no UPDATE/DELETE grant, and a trigger refuses them anyway)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models.base import Base, created_at, current_user_id


class AuditEvent(Base):
    """Who did what to which invoice of which client, with before/after snapshots."""

    __tablename__ = "audit_events"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    client_id: Mapped[uuid.UUID]
    invoice_id: Mapped[uuid.UUID | None]
    actor_id: Mapped[uuid.UUID | None] = current_user_id()
    action: Mapped[str]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    meta: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = created_at()
