"""Supabase Auth adapter over supabase-py's GoTrue client (``supabase_auth``).

A fresh ``SyncGoTrueClient`` is built for every call, with session persistence and auto-refresh
off, so no signed-in client is ever shared between users or requests: the only shared object is
the stateless HTTP connection pool. Tokens Supabase returns are checked by the same
``TokenVerifier`` as every other token, and every vendor exception becomes a ``core.errors`` one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
from supabase_auth import SyncGoTrueClient
from supabase_auth.errors import (
    AuthApiError,
    AuthRetryableError,
    AuthWeakPasswordError,
)
from supabase_auth.errors import AuthError as SupabaseAuthError
from supabase_auth.types import Session as GoTrueSession

from core.auth.models import AuthSession, CurrentUser, SignUpResult
from core.auth.verifier import TokenVerifier
from core.errors import (
    AuthError,
    ConfigurationError,
    ConfirmationRequired,
    InvalidCredentials,
    InvalidToken,
    InvoiceFlowError,
    RateLimited,
    RefreshTokenReused,
    SessionRevoked,
    TokenExpired,
    UpstreamError,
    UpstreamTimeout,
    UserAlreadyExists,
    ValidationFailed,
    WeakPassword,
)

if TYPE_CHECKING:
    from core.config import Settings

log = logging.getLogger(__name__)

# GoTrue error codes (https://supabase.com/docs/guides/auth/debugging/error-codes) -> our errors.
_BY_CODE: dict[str, Callable[[str], InvoiceFlowError]] = {
    "invalid_credentials": lambda m: InvalidCredentials("invalid e-mail or password"),
    "user_banned": lambda m: InvalidCredentials("this account is disabled"),
    "email_not_confirmed": lambda m: ConfirmationRequired("confirm your e-mail address first"),
    "weak_password": WeakPassword,
    "user_already_exists": lambda m: UserAlreadyExists("a user with this e-mail already exists"),
    "email_exists": lambda m: UserAlreadyExists("a user with this e-mail already exists"),
    "refresh_token_already_used": lambda m: RefreshTokenReused(
        "refresh token already used; sign in again"
    ),
    "refresh_token_not_found": lambda m: InvalidToken("refresh token not found"),
    "session_not_found": lambda m: SessionRevoked("this session was signed out; sign in again"),
    "session_expired": lambda m: TokenExpired("the session has expired; sign in again"),
    "bad_jwt": lambda m: InvalidToken("the access token was refused by Supabase"),
    "no_authorization": lambda m: InvalidToken("no access token given"),
    "user_not_found": lambda m: SessionRevoked("this account no longer exists"),
    "validation_failed": ValidationFailed,
    "email_address_invalid": lambda m: ValidationFailed("enter a valid e-mail address"),
    "signup_disabled": lambda m: AuthError("sign-up is disabled for this project"),
    "over_request_rate_limit": lambda m: RateLimited("too many requests", retry_after=60),
    "over_email_send_rate_limit": lambda m: RateLimited("too many e-mails", retry_after=60),
}


def translate_auth_error(exc: Exception) -> InvoiceFlowError:
    """Map a supabase_auth / httpx exception to the domain error a caller can act on."""
    if isinstance(exc, InvoiceFlowError):
        return exc
    if isinstance(exc, AuthWeakPasswordError):
        return WeakPassword(exc.message or "the password is too weak", reasons=exc.reasons)
    if isinstance(exc, AuthApiError):
        factory = _BY_CODE.get(str(exc.code or ""))
        if factory is not None:
            return factory(exc.message)
        if "api key" in (exc.message or "").lower():
            return ConfigurationError("Supabase refused the anon key (SUPABASE_ANON_KEY)")
        if exc.status == 429:
            return RateLimited("too many requests to Supabase Auth", retry_after=60)
        if exc.status >= 500:
            return UpstreamError("Supabase Auth failed", status=exc.status)
        if exc.status in (401, 403):
            return InvalidToken(exc.message or "refused by Supabase Auth")
        return AuthError(exc.message or "Supabase Auth refused the request", status=exc.status)
    if isinstance(exc, AuthRetryableError):
        cause = exc.__cause__
        if isinstance(cause, httpx.TimeoutException):
            return UpstreamTimeout("Supabase Auth did not answer in time")
        return UpstreamError(f"Supabase Auth is unreachable: {exc.message}")
    if isinstance(exc, SupabaseAuthError):
        return UpstreamError(f"Supabase Auth error: {exc.message}")
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout("Supabase Auth did not answer in time")
    if isinstance(exc, httpx.HTTPError):
        return UpstreamError(f"Supabase Auth is unreachable: {exc}")
    return UpstreamError(f"unexpected answer from Supabase Auth: {type(exc).__name__}")


class SupabaseAuthProvider:
    """``AuthProvider`` backed by Supabase Auth (GoTrue) through supabase-py."""

    def __init__(
        self,
        settings: Settings,
        *,
        verifier: TokenVerifier,
        http_client: httpx.Client | None = None,
    ) -> None:
        if not settings.supabase_url or settings.supabase_anon_key is None:
            raise ConfigurationError("Supabase auth needs SUPABASE_URL and SUPABASE_ANON_KEY")
        self._url = settings.supabase_url.rstrip("/") + "/auth/v1"
        self._anon_key = settings.supabase_anon_key.get_secret_value()
        self._verifier = verifier
        # Shared connection pool only: it holds no session, cookie or Authorization header.
        self._http = http_client or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))

    @contextmanager
    def _client(self) -> Iterator[SyncGoTrueClient]:
        client = SyncGoTrueClient(
            url=self._url,
            headers={"apikey": self._anon_key, "Authorization": f"Bearer {self._anon_key}"},
            auto_refresh_token=False,
            persist_session=False,
            http_client=self._http,
        )
        try:
            yield client
        except InvoiceFlowError:
            raise
        except Exception as exc:
            raise translate_auth_error(exc) from exc

    def sign_up(
        self, email: str, password: str, *, user_metadata: dict[str, Any] | None = None
    ) -> SignUpResult:
        """Sign up with Supabase Auth; the answer is the same for new and existing addresses.

        With "Confirm email" on, GoTrue itself answers 200 with an obfuscated user for an
        existing address: both give ``confirm_email``. With it off, GoTrue opens a session for a
        new address and answers ``user_already_exists`` for a taken one: both give ``sign_in``,
        and the new session is revoked, never handed out (it would tell the two apart).
        """
        address = (email or "").strip()
        try:
            with self._client() as client:
                response = client.sign_up(
                    {
                        "email": address,
                        "password": password,
                        "options": {"data": user_metadata or {}},
                    }
                )
        except UserAlreadyExists:
            return SignUpResult(email=address, state="sign_in")
        if response.session is None:
            return SignUpResult(email=address, state="confirm_email")
        try:
            with self._client() as client:
                client.admin.sign_out(response.session.access_token, "local")
        except InvoiceFlowError:
            log.warning("could not revoke the session Supabase opened at sign-up", exc_info=True)
        return SignUpResult(email=address, state="sign_in")

    def sign_in(self, email: str, password: str, *, client_ip: str | None = None) -> AuthSession:
        """Password sign-in against Supabase Auth (which throttles sign-ins itself).

        ``client_ip`` is not forwarded yet: per-user limits need ``Sb-Forwarded-For`` and an
        ``sb_secret_`` key (issue 18); until then Supabase sees the server's address.
        """
        with self._client() as client:
            response = client.sign_in_with_password({"email": email, "password": password})
        if response.session is None:
            raise InvalidCredentials("invalid e-mail or password")
        return self._to_session(response.session)

    def refresh(self, refresh_token: str) -> AuthSession:
        """Rotate the refresh token (Supabase detects reuse and revokes the session)."""
        if not refresh_token:
            raise InvalidToken("no refresh token given")
        with self._client() as client:
            response = client.refresh_session(refresh_token)
        if response.session is None:
            raise InvalidToken("refresh token refused")
        return self._to_session(response.session)

    def sign_out(self, access_token: str) -> None:
        """Revoke this session only (scope=local); an already-gone session is not an error."""
        try:
            user = self._verifier.current_user(access_token)
        except SessionRevoked:
            return  # already signed out (or revoked): nothing left to revoke
        try:
            with self._client() as client:
                client.admin.sign_out(access_token, "local")
        except (SessionRevoked, InvalidToken):
            return
        finally:
            self._verifier.forget_session(user.session_id)

    def get_user(self, access_token: str) -> CurrentUser:
        """Verify locally, then ask Supabase whether the session behind the token still lives."""
        user = self._verifier.current_user(access_token)
        with self._client() as client:
            client.get_user(access_token)
        return user

    def _to_session(self, session: GoTrueSession) -> AuthSession:
        user = self._verifier.current_user(session.access_token)
        expires_at = session.expires_at or int(user.claims["exp"])
        return AuthSession(
            access_token=session.access_token,
            refresh_token=session.refresh_token,
            expires_at=int(expires_at),
            user=user,
        )
