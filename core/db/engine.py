"""Database URL and SQLAlchemy engine (psycopg 3)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, create_engine

from core.config import Settings


def sqlalchemy_url(url: str) -> str:
    """Force the psycopg 3 driver on any Postgres URL (also ``postgres://`` as Supabase prints)."""
    return re.sub(r"^postgres(ql)?(\+[a-z0-9]+)?://", "postgresql+psycopg://", url)


def database_url(settings: Settings) -> str:
    """``settings.database_url``, or the embedded server's URL (started on demand)."""
    if settings.database_url is not None:
        return sqlalchemy_url(settings.database_url)
    from core.db import embedded

    return sqlalchemy_url(embedded.ensure_running(settings))


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    """A pooled engine for ``url`` (default: ``database_url(settings)``)."""
    return create_engine(
        sqlalchemy_url(url) if url else database_url(settings),
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_recycle=1800,
    )
