"""Declarative base and shared column helpers for the ORM models.

The schema itself is created by ``supabase/migrations`` only; these models describe it (server
defaults are marked ``FetchedValue`` so the ORM leaves them to Postgres).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, FetchedValue, Numeric, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(18, 4, asdecimal=True)


class Base(DeclarativeBase):
    """Base of every InvoiceFlow model."""

    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        uuid.UUID: UUID(as_uuid=True),
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
        Decimal: Money,
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    """Primary key generated client-side (so inserts need no RETURNING), server default too."""
    return mapped_column(
        primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()")
    )


def created_at() -> Mapped[Any]:
    """Set by the database on insert."""
    return mapped_column(server_default=text("now()"))


def updated_at() -> Mapped[Any]:
    """Maintained by a trigger on update."""
    return mapped_column(server_default=text("now()"), server_onupdate=FetchedValue())


def current_user_id() -> Mapped[uuid.UUID | None]:
    """Defaults to ``auth.uid()`` in the database (the signed-in user)."""
    return mapped_column(server_default=FetchedValue())
