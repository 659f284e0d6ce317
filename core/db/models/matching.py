"""Match proposals and decisions, and versioned match profiles."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models.base import Base, created_at, current_user_id, updated_at, uuid_pk


class Match(Base):
    """One matching decision for an invoice (vendor, purchase order or duplicate) and its reason."""

    __tablename__ = "matches"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    invoice_id: Mapped[uuid.UUID]
    kind: Mapped[str]
    vendor_id: Mapped[uuid.UUID | None]
    purchase_order_id: Mapped[uuid.UUID | None]
    duplicate_of_invoice_id: Mapped[uuid.UUID | None]
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    band: Mapped[str]
    reason: Mapped[str] = mapped_column(server_default=text("''"))
    profile_version: Mapped[int | None]
    status: Mapped[str] = mapped_column(server_default=text("'proposed'"))
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    candidates: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class MatchProfileRow(Base):
    """A stored version of a client's match profile (one active per client)."""

    __tablename__ = "match_profiles"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    version: Mapped[int]
    name: Mapped[str]
    profile: Mapped[dict[str, Any]]
    is_active: Mapped[bool] = mapped_column(server_default=text("false"))
    notes: Mapped[str | None]
    created_by: Mapped[uuid.UUID | None] = current_user_id()
    created_at: Mapped[datetime] = created_at()
