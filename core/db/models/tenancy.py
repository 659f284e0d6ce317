"""Tenants and membership."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models.base import Base, created_at, current_user_id, updated_at, uuid_pk


class MemberRole(str, enum.Enum):
    """A member's role in a client (``public.member_role``)."""

    owner = "owner"
    operator = "operator"
    analyst = "analyst"
    viewer = "viewer"


member_role_type = Enum(
    MemberRole,
    name="member_role",
    schema="public",
    create_type=False,
    values_callable=lambda e: [m.value for m in e],
)


class Client(Base):
    """A company whose invoices are processed (the tenant)."""

    __tablename__ = "clients"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str]
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_by: Mapped[uuid.UUID | None] = current_user_id()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ClientMember(Base):
    """A user's role in a client; only owners manage these rows."""

    __tablename__ = "client_members"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("public.clients.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[MemberRole] = mapped_column(member_role_type)
    invited_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
