"""The Supabase-shaped tables outside ``public`` that our code reads or writes locally."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Computed, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models.base import Base, created_at, updated_at, uuid_pk


class StorageObject(Base):
    """A row of ``storage.objects`` (file metadata; the storage policies apply to it)."""

    __tablename__ = "objects"
    __table_args__ = {"schema": "storage"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    bucket_id: Mapped[str | None]
    name: Mapped[str | None]
    owner: Mapped[uuid.UUID | None]
    owner_id: Mapped[str | None]
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    user_metadata: Mapped[dict[str, Any] | None]
    path_tokens: Mapped[list[str] | None] = mapped_column(
        ARRAY(Text), Computed("string_to_array(name, '/')")
    )
    version: Mapped[str | None]
    created_at: Mapped[datetime | None] = created_at()
    updated_at: Mapped[datetime | None] = updated_at()
    last_accessed_at: Mapped[datetime | None] = mapped_column(server_default=text("now()"))


class StorageBucket(Base):
    """A row of ``storage.buckets``."""

    __tablename__ = "buckets"
    __table_args__ = {"schema": "storage"}  # noqa: RUF012

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    public: Mapped[bool | None]
    file_size_limit: Mapped[int | None]
    allowed_mime_types: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime | None] = created_at()
