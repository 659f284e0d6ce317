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


class ClientInvitation(Base):
    """An invitation of an e-mail address to a client; the invitee accepts or declines.

    Written only by security-definer functions (invite, revoke, answer); users read them.
    """

    __tablename__ = "client_invitations"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("public.clients.id"))
    email: Mapped[str]
    role: Mapped[MemberRole] = mapped_column(member_role_type)
    invited_by: Mapped[uuid.UUID | None] = current_user_id()
    expires_at: Mapped[datetime] = mapped_column(server_default=text("now() + interval '14 days'"))
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[uuid.UUID | None]
    declined_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
