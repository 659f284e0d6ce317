"""Session liveness for access tokens (finding F7).

Access tokens are stateless JWTs: valid until ``exp`` whatever happens to their session. This
check narrows that window to seconds: the token's ``session_id`` must still be a row of
``auth.sessions`` belonging to the token's user and within its ``not_after``, and the user must be
neither banned (``banned_until``) nor deleted (``deleted_at``, or the row gone). Sign-out and
refresh-token reuse delete the session row (the local adapter; GoTrue's sign-out too), so the
token stops working.

Answers are cached per session for ``ttl_seconds`` (``Settings.session_check_ttl_seconds``): one
API process asks the database at most once per session per TTL, and a revocation seen by
another process takes effect here within the TTL. A revocation made through this process
(``forget``) takes effect at once.

For Supabase the check runs only when the connection's role can read ``auth.sessions`` and
``auth.users`` (``only_if_visible``); otherwise tokens stay valid until ``exp``, which is what
Supabase itself guarantees (see docs/security.md).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from core.auth.models import CurrentUser
from core.db import auth_accounts as accounts
from core.db.session import translate_db_error
from core.errors import InvalidToken, SessionRevoked

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

CACHE_SIZE = 20_000  # sessions remembered per process (a few MB)


class SessionCheck:
    """Checks that the session behind a verified token is still live (see the module docstring)."""

    def __init__(
        self, engine: Engine, *, ttl_seconds: float = 5.0, only_if_visible: bool = False
    ) -> None:
        self._engine = engine
        self.ttl_seconds = ttl_seconds
        self._only_if_visible = only_if_visible
        self._enabled: bool | None = None if only_if_visible else True
        # session id -> (revocation reason or None when live, monotonic time of the answer)
        self._answers: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def is_fresh(self, user: CurrentUser) -> bool:
        """True when a recent answer says the user's session is live (no database needed)."""
        if self._enabled is False:
            return True
        answer = self._answers.get(user.session_id or "")
        return answer is not None and answer[0] is None and self._recent(answer[1])

    def check(self, user: CurrentUser) -> None:
        """Raise ``SessionRevoked`` unless the user's session is live (cached for the TTL)."""
        session_id = user.session_id
        if not self._is_enabled():
            return
        if session_id is None:
            raise InvalidToken("token carries no session id")
        answer = self._answers.get(session_id)
        if answer is None or not self._recent(answer[1]):
            reason = self._ask(session_id, user)
            answer = (reason, time.monotonic())
            with self._lock:
                if len(self._answers) >= CACHE_SIZE:
                    self._answers.pop(next(iter(self._answers)))  # oldest first
                self._answers[session_id] = answer
        if answer[0] is not None:
            raise SessionRevoked(answer[0])

    def forget(self, session_id: str | None) -> None:
        """Drop the cached answer for a session this process just revoked."""
        with self._lock:
            self._answers.pop(session_id or "", None)

    def _recent(self, answered_at: float) -> bool:
        return time.monotonic() - answered_at < self.ttl_seconds

    def _ask(self, session_id: str, user: CurrentUser) -> str | None:
        try:
            sid = uuid.UUID(session_id)
        except ValueError as exc:
            raise InvalidToken("token carries no valid session id") from exc
        try:
            with self._engine.connect() as conn:
                return accounts.session_revocation(conn, session_id=sid, user_id=user.id)
        except DBAPIError as exc:
            raise translate_db_error(exc) from exc

    def _is_enabled(self) -> bool:
        if self._enabled is None:
            try:
                with self._engine.connect() as conn:
                    visible = accounts.can_read_sessions(conn)
            except DBAPIError as exc:
                raise translate_db_error(exc) from exc
            if not visible:
                log.warning(
                    "auth.sessions/auth.users are not readable by the database role: access "
                    "tokens stay valid until they expire after sign-out, ban or deletion"
                )
            self._enabled = visible
        return self._enabled
