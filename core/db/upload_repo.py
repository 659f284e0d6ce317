"""Record one uploaded file in one transaction and one network round trip.

An upload is the API's hottest write. ``public.record_upload`` (security invoker, so RLS decides
every insert) does the role check, the duplicate check, the storage row, batch, file, invoice,
audit event and job; here the user's claims, that call and the commit travel to the server as
ONE simple-protocol message on a pooled connection (psycopg's client-side binding quotes the
values), instead of an ORM session's six round trips. Not a psycopg pipeline: waiting for its
results polls the socket for writing too, which spins on the CPU while the server works.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import psycopg
from sqlalchemy import Engine

from core.db.session import SET_CLAIMS_SQL, claims_json, translate_db_error, user_role

_RECORD_UPLOAD = (
    f"begin; {SET_CLAIMS_SQL}; "  # noqa: S608 - constant SQL; psycopg binds the values
    "select outcome, invoice_id, file_id, role from public.record_upload("
    "%(client_id)s, %(batch_id)s, %(new_batch)s, %(batch_name)s, %(file_count)s, %(bucket)s,"
    " %(object_key)s, %(original_name)s, %(content_type)s, %(size_bytes)s, %(sha256)s,"
    " %(audit_meta)s::jsonb, %(enqueue)s, %(storage_object)s::jsonb); commit"
)


@dataclass(frozen=True)
class RecordedUpload:
    """What ``record_upload`` answered: ``accepted``, ``duplicate`` (existing ids),
    ``not_member`` or ``forbidden`` (nothing written in the last three cases)."""

    outcome: str
    invoice_id: UUID | None
    file_id: UUID | None
    role: str | None


def record_upload(
    engine: Engine,
    claims: Mapping[str, Any],
    *,
    client_id: UUID,
    batch_id: UUID,
    new_batch: bool,
    batch_name: str | None,
    file_count: int,
    file: Mapping[str, Any],
    audit_meta: Mapping[str, Any],
    enqueue: bool,
    storage_object: Mapping[str, Any] | None,
) -> RecordedUpload:
    """Run ``public.record_upload`` as the user and commit, in one round trip."""
    params = {
        "client_id": client_id,
        "batch_id": batch_id,
        "new_batch": new_batch,
        "batch_name": batch_name,
        "file_count": file_count,
        **{k: file[k] for k in ("bucket", "object_key", "original_name", "content_type")},
        "size_bytes": file["size_bytes"],
        "sha256": file["sha256"],
        "audit_meta": json.dumps(dict(audit_meta), default=str),
        "enqueue": enqueue,
        "storage_object": json.dumps(dict(storage_object)) if storage_object else None,
    }
    params["role"] = user_role(claims)
    params["claims"] = claims_json(claims)
    raw = engine.raw_connection()
    try:
        conn = cast("psycopg.Connection[Any]", raw.driver_connection)
        try:
            with psycopg.ClientCursor(conn) as cur:
                cur.execute(_RECORD_UPLOAD, params)
                row = None
                while True:  # begin, claims, the call (4 columns), commit
                    if cur.description is not None and len(cur.description) == 4:
                        row = cur.fetchone()
                    if not cur.nextset():
                        break
        except psycopg.Error as exc:
            try:
                conn.rollback()
            except psycopg.Error:
                raw.invalidate()  # broken: it must not go back to the pool
            raise translate_db_error(exc) from exc
    finally:
        raw.close()
    if row is None:  # the function always returns one row
        raise translate_db_error(psycopg.Error("record_upload returned nothing"))
    return RecordedUpload(str(row[0]), row[1], row[2], row[3])
