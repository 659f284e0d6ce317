"""Supabase Auth adapter over supabase-py's GoTrue client (``supabase_auth``).

A fresh ``SyncGoTrueClient`` is built for every call, with session persistence and auto-refresh
off, so no signed-in client is ever shared between users or requests: the only shared object is
the stateless HTTP connection pool. Tokens Supabase returns are checked by the same
``TokenVerifier`` as every other token, and every vendor exception becomes a ``core.errors`` one.

Rate limits (docs: supabase.com/docs/guides/auth/rate-limits) are per IP address, and Auth sees
this server's. With an ``sb_secret_`` key configured (``SUPABASE_SECRET_KEY``) sign-ins carry
the end user's address in ``Sb-Forwarded-For`` (docs: .../rate-limits/ip-forwarding; needs
"Enable IP address forwarding" under Authentication > Rate Limits), so each user has their own
allowance. A 429 honours ``Retry-After`` and tells the hourly e-mail limit from the others.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

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
from core.auth.passwords import check_password_length
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
}
# Without Retry-After: GoTrue's request limits are per 5 minutes or per hour (a slot frees up in
# about a minute); the built-in SMTP allows 2 e-mails per hour, so the hourly window is the wait.
REQUEST_LIMIT_WAIT_SECONDS = 60.0
_RATE_LIMIT_CODES = frozenset({"over_request_rate_limit", "over_email_send_rate_limit"})
EMAIL_LIMIT_WAIT_SECONDS = 3600.0


def _retry_after(exc: Exception) -> float | None:
    """``Retry-After`` (seconds) of the HTTP answer behind a supabase_auth exception, if any."""
    cause = exc.__cause__
    if not isinstance(cause, httpx.HTTPStatusError):
        return None
    value = cause.response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _http_status(exc: Exception) -> int | None:
    cause = exc.__cause__
    return cause.response.status_code if isinstance(cause, httpx.HTTPStatusError) else None


def _rate_limited(exc: Exception, code: str) -> RateLimited:
    """A 429 as what it is: the hourly e-mail limit, or a request limit (with its wait)."""
    wait = _retry_after(exc)
    if code == "over_email_send_rate_limit":
        return RateLimited(
            "Supabase Auth's hourly e-mail limit is reached; try again later",
            retry_after=wait if wait is not None else EMAIL_LIMIT_WAIT_SECONDS,
            code="email_rate_limited",
        )
    return RateLimited(
        "too many requests to Supabase Auth; try again shortly",
        retry_after=wait if wait is not None else REQUEST_LIMIT_WAIT_SECONDS,
        limit="requests",
    )


def translate_auth_error(exc: Exception) -> InvoiceFlowError:
    """Map a supabase_auth / httpx exception to the domain error a caller can act on."""
    if isinstance(exc, InvoiceFlowError):
        return exc
    code = str(getattr(exc, "code", "") or "")
    status = _http_status(exc) or getattr(exc, "status", None)
    if isinstance(exc, SupabaseAuthError) and (status == 429 or code in _RATE_LIMIT_CODES):
        # With or without a JSON body (the edge answers a bare 429 with Retry-After).
        return _rate_limited(exc, code)
    if isinstance(exc, AuthWeakPasswordError):
        return WeakPassword(exc.message or "the password is too weak", reasons=exc.reasons)
    if isinstance(exc, AuthApiError):
        factory = _BY_CODE.get(str(exc.code or ""))
        if factory is not None:
            return factory(exc.message)
        if "api key" in (exc.message or "").lower():
            return ConfigurationError("Supabase refused the anon key (SUPABASE_ANON_KEY)")
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
        service = settings.supabase_service_key
        secret = service.get_secret_value() if service is not None else ""
        # Only an sb_secret_ key may carry Sb-Forwarded-For (legacy keys are not supported).
        self._forwarding_key = secret if secret.startswith("sb_secret_") else None
        self._verifier = verifier
        # Shared connection pool only: it holds no session, cookie or Authorization header.
        self._http = http_client or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))

    def _headers(self, client_ip: str | None) -> dict[str, str]:
        if client_ip and self._forwarding_key:
            # The secret key goes in apikey only (never as a bearer token); the gateway then
            # lets Auth take the end user's address from Sb-Forwarded-For.
            return {"apikey": self._forwarding_key, "Sb-Forwarded-For": client_ip}
        return {"apikey": self._anon_key, "Authorization": f"Bearer {self._anon_key}"}

    @property
    def forwards_client_ip(self) -> bool:
        """True when sign-ins carry the end user's address (an sb_secret_ key is configured)."""
        return self._forwarding_key is not None

    @contextmanager
    def _client(self, client_ip: str | None = None) -> Iterator[SyncGoTrueClient]:
        client = SyncGoTrueClient(
            url=self._url,
            headers=self._headers(client_ip),
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
        check_password_length(password)  # Auth answers 400 validation_failed past 72 bytes
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
        """Password sign-in against Supabase Auth (which throttles sign-ins itself, per address).

        ``client_ip`` goes to Auth as ``Sb-Forwarded-For`` when an ``sb_secret_`` key is
        configured; otherwise Auth counts every sign-in against this server's address.
        ``ConfirmationRequired`` when the password matched but the address is not confirmed.
        """
        with self._client(client_ip) as client:
            response = client.sign_in_with_password({"email": email, "password": password})
        if response.session is None:
            raise InvalidCredentials("invalid e-mail or password")
        return self._to_session(response.session)

    def refresh(self, refresh_token: str) -> AuthSession:
        """Rotate the refresh token (GoTrue's reuse rules; see ``RefreshTokenReused``).

        GoTrue answers a repeat of the previous token with the current session (the client lost
        the last answer), refuses an older one after the reuse interval with
        ``refresh_token_already_used`` (and revokes the session's tokens), a token of a
        signed-out session with ``refresh_token_not_found``, and a malformed one with
        ``validation_failed``: the last is an invalid token here, not a 422.
        """
        if not refresh_token:
            raise InvalidToken("no refresh token given")
        try:
            with self._client() as client:
                response = client.refresh_session(refresh_token)
        except ValidationFailed as exc:
            raise InvalidToken("the refresh token is malformed; sign in again") from exc
        if response.session is None:
            raise InvalidToken("refresh token refused")
        return self._to_session(response.session)

    def sign_out(self, access_token: str) -> None:
        """Revoke this session only (scope=local); an already-gone session is not an error."""
        self._sign_out(access_token, "local")

    def sign_out_everywhere(self, access_token: str) -> None:
        """Revoke every session of the token's user (scope=global): all devices, the API too."""
        self._sign_out(access_token, "global")

    def _sign_out(self, access_token: str, scope: Literal["local", "global"]) -> None:
        try:
            user = self._verifier.current_user(access_token)
        except SessionRevoked:
            return  # already signed out (or revoked): nothing left to revoke
        try:
            with self._client() as client:
                client.admin.sign_out(access_token, scope)
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
