"""SQL for ``storage.objects`` rows, always run inside the caller's ``user_session``.

The local file store writes these rows as the signed-in user so the storage policies in
``supabase/migrations`` decide, exactly as Supabase Storage does when it inserts them with the
user's JWT: an insert refused by RLS surfaces as ``Forbidden`` from ``user_session``.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session


def insert_object(
    session: Session, *, bucket: str, name: str, owner: UUID, metadata: dict[str, Any]
) -> UUID:
    """Insert the metadata row for a new object; return its id."""
    return session.execute(
        text(
            "insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)"
            " values (:bucket, :name, :owner, :owner_id, cast(:metadata as jsonb), :version)"
            " returning id"
        ),
        {
            "bucket": bucket,
            "name": name,
            "owner": owner,
            "owner_id": str(owner),
            "metadata": json.dumps(metadata),
            "version": metadata.get("eTag"),
        },
    ).scalar_one()


def object_metadata(session: Session, *, bucket: str, name: str) -> dict[str, Any] | None:
    """The object's metadata if it exists and the session's user may see it."""
    row = session.execute(
        text("select metadata from storage.objects where bucket_id = :bucket and name = :name"),
        {"bucket": bucket, "name": name},
    ).first()
    if row is None:
        return None
    return dict(row.metadata or {})


def delete_object(session: Session, *, bucket: str, name: str) -> bool:
    """Delete the row; False when the policies hid it from the delete."""
    row = session.execute(
        text("delete from storage.objects where bucket_id = :bucket and name = :name returning id"),
        {"bucket": bucket, "name": name},
    ).first()
    return row is not None
