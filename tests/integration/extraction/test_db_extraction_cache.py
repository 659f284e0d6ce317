"""The DB-backed extraction cache on the real Postgres, under RLS, per client."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.db.session import user_session
from core.errors import Forbidden
from core.extraction.cache import CacheKey, DbExtractionCache
from core.extraction.schema import ExtractedField, Extraction

KEY = CacheKey("b" * 64, "pipeline=1;mode=openai;openai=1.0.0", "gpt-4o-mini")


def _cache(engine, user, client_id) -> DbExtractionCache:
    return DbExtractionCache(lambda: user_session(engine, user.claims), client_id)


def _result() -> Extraction:
    return Extraction(
        total=ExtractedField(value=Decimal("119.00"), confidence=0.9),
        extractor="openai",
        model="gpt-4o-mini",
        warnings=["ungrounded:po_number"],
    )


def test_operator_writes_and_every_member_reads(engine, role_users) -> None:
    client = role_users
    writer = _cache(engine, client.members["operator"], client.id)
    assert writer.get(KEY) is None
    writer.put(KEY, _result())
    writer.put(KEY, _result())  # idempotent
    for role in ("owner", "operator", "analyst", "viewer"):
        hit = _cache(engine, client.members[role], client.id).get(KEY)
        assert hit is not None and hit.total.value == Decimal("119.00"), role
        assert hit.warnings == ["ungrounded:po_number"]


def test_viewer_cannot_write(engine, role_users) -> None:
    client = role_users
    with pytest.raises(Forbidden):
        _cache(engine, client.members["viewer"], client.id).put(KEY, _result())


def test_entries_do_not_leak_across_clients(engine, role_users, make_user, make_client) -> None:
    _cache(engine, role_users.members["operator"], role_users.id).put(KEY, _result())
    stranger = make_user()
    other = make_client(stranger)
    assert _cache(engine, stranger, other.id).get(KEY) is None
    # Even naming the first client's id, a non-member sees nothing.
    assert _cache(engine, stranger, role_users.id).get(KEY) is None
