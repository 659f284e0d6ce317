"""The one composition root: ``build_services(settings)`` picks every adapter.

Entrypoints (API lifespan, console ``st.cache_resource``, worker, CLI, tests) call it once with
their ``Settings`` and pass the frozen ``Services`` container down. Nothing here runs at import
time. To add a service: add a typed port (``core.workflow.ports``) and a keyword-only field to
``Services`` (``core.workflow.services``), and build it in ``build_services``; adapter choice
based on settings happens only here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from core.auth.port import AuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.storage.port import FileStore
from core.workflow.services import Services

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.auth.session_check import SessionCheck
    from core.extraction.pipeline import ExtractionPipeline
    from core.jobs.queue import JobQueue

__all__ = ["Services", "build_services"]
log = logging.getLogger(__name__)


def build_auth(
    settings: Settings, engine: Engine, verifier: TokenVerifier, http: httpx.Client
) -> AuthProvider:
    """The auth adapter ``settings.auth_backend`` names."""
    if settings.auth_backend == "supabase":
        from core.auth.supabase_auth import SupabaseAuthProvider

        return SupabaseAuthProvider(settings, verifier=verifier, http_client=http)
    from core.auth.local_auth import LocalAuthProvider

    return LocalAuthProvider(engine, settings, verifier=verifier)


def build_session_check(settings: Settings, engine: Engine) -> SessionCheck | None:
    """Session liveness for every verified token (F7); None when it cannot apply."""
    from core.auth.session_check import SessionCheck

    # Local auth: always. Supabase: when the database role can read GoTrue's auth.sessions and
    # auth.users (probed on first use), unless INVOICEFLOW_SUPABASE_SESSION_CHECK=false.

    ttl = settings.session_check_ttl_seconds
    if settings.auth_backend == "local":
        return SessionCheck(engine, ttl_seconds=ttl)
    if settings.supabase_session_check:
        return SessionCheck(engine, ttl_seconds=ttl, only_if_visible=True)
    return None


def build_storage(settings: Settings, engine: Engine, http: httpx.Client) -> FileStore:
    """The file store ``settings.storage_backend`` names."""
    if settings.storage_backend == "supabase":
        from core.storage.supabase_store import SupabaseFileStore

        return SupabaseFileStore(settings, http_client=http, engine=engine)
    from core.storage.local_store import LocalFileStore

    return LocalFileStore(engine, settings)


def build_extraction(settings: Settings) -> ExtractionPipeline:
    """The extraction pipeline; its disk cache is the CLI's (``data_dir/cache/extraction``)."""
    from core.extraction.cache import DiskCache
    from core.extraction.pipeline import ExtractionPipeline

    return ExtractionPipeline(settings, cache=DiskCache(settings.data_dir / "cache" / "extraction"))


def build_jobs(engine: Engine) -> JobQueue:
    """The job queue (procrastinate) on the same database as ``engine``."""
    from core.jobs.queue import make_queue

    return make_queue(engine.url.render_as_string(hide_password=False), engine)


def build_services(settings: Settings, *, engine: Engine | None = None) -> Services:
    """Build the container for ``settings`` (an ``engine`` may be passed in, e.g. by tests)."""
    from core.db.engine import make_engine

    closers: list[Callable[[], None]] = []
    if engine is None:
        engine = make_engine(settings)  # starts the embedded server on demand
        closers.append(engine.dispose)
    # One stateless connection pool for every outbound HTTP call (JWKS, Supabase Auth/Storage):
    # it carries no credentials; each request sets its own headers.
    http = httpx.Client(timeout=httpx.Timeout(60.0, connect=5.0))
    closers.append(http.close)
    verifier = TokenVerifier.from_settings(
        settings, http_client=http, session_check=build_session_check(settings, engine)
    )
    extraction = build_extraction(settings)
    closers.append(extraction.close)
    jobs = build_jobs(engine)
    closers.append(jobs.close)
    from core.auth.api_keys import ApiKeyAuthenticator
    from core.db.rate_limit_store import PostgresLimitsStorage

    return Services(
        settings=settings,
        engine=engine,
        verifier=verifier,
        auth=build_auth(settings, engine, verifier, http),
        storage=build_storage(settings, engine, http),
        extraction=extraction,
        jobs=jobs,
        rate_limit_storage=PostgresLimitsStorage(engine),
        api_keys=ApiKeyAuthenticator(engine, settings),
        closers=tuple(closers),
    )
