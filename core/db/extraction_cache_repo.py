"""SQL for ``public.extraction_cache`` (used by ``core.extraction.cache.DbExtractionCache``).

Rows are per client and guarded by RLS: any member reads, owner/operator write.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session


def get_cached_result(s: Session, *, client_id: UUID, cache_key: str) -> dict[str, Any] | None:
    """The cached extraction JSON for ``cache_key`` in this client, or None."""
    row = s.execute(
        text(
            "select result from public.extraction_cache "
            "where client_id = :client_id and cache_key = :cache_key"
        ),
        {"client_id": client_id, "cache_key": cache_key},
    ).first()
    return None if row is None else dict(row[0])


def put_cached_result(
    s: Session,
    *,
    client_id: UUID,
    cache_key: str,
    sha256: str,
    extractor_version: str,
    model: str | None,
    result: dict[str, Any],
) -> None:
    """Store one result; an existing row for the key wins (same key means same reading)."""
    s.execute(
        text(
            "insert into public.extraction_cache "
            "(client_id, cache_key, sha256, extractor_version, model, result) "
            "values (:client_id, :cache_key, :sha256, :extractor_version, :model, "
            "cast(:result as jsonb)) "
            "on conflict (client_id, cache_key) do nothing"
        ),
        {
            "client_id": client_id,
            "cache_key": cache_key,
            "sha256": sha256,
            "extractor_version": extractor_version[:300],
            "model": model,
            "result": json.dumps(result),
        },
    )
