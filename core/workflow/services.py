"""``Services``: the frozen, typed container every use case takes as ``services``.

Built once per process by the one composition root, ``core.bootstrap.build_services(settings)``,
which picks the adapters; tests build it with their own settings (or with fakes of the same
ports). It lives here, in the workflow layer, because the use cases are its consumers: the
composition root above imports it, nothing below does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from core.auth.api_keys import ApiKeyAuthenticator
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.db.rate_limit_store import PostgresLimitsStorage
from core.workflow.ports import AuthProvider, FileStore, InvoiceExtractor, JobQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Services:
    """Everything a use case needs, built once per process; user-independent and thread-safe.

    ``auth`` signs users in and out, ``verifier`` turns bearer tokens into ``CurrentUser``,
    ``storage`` is the ``FileStore``, ``extraction`` reads files, ``jobs`` queues processing,
    ``api_keys`` turns an API key into its service principal; ``engine`` is only ever used
    through ``core.db.session.user_session`` / ``service_session`` (and the repositories under
    them). ``rate_limit_storage`` is the API's shared counter store.
    """

    settings: Settings
    engine: Engine
    verifier: TokenVerifier
    auth: AuthProvider
    storage: FileStore
    extraction: InvoiceExtractor
    jobs: JobQueue
    rate_limit_storage: PostgresLimitsStorage | None = None
    api_keys: ApiKeyAuthenticator | None = None  # API keys -> their service principals
    closers: tuple[Callable[[], None], ...] = field(default=(), repr=False)

    @property
    def files(self) -> FileStore:
        """Alias of ``storage``."""
        return self.storage

    def close(self) -> None:
        """Release pools and HTTP clients (API shutdown, end of a CLI run, tests)."""
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception:  # closing must not hide the error that ended the process
                log.warning("error while closing a service", exc_info=True)
