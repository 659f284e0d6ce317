"""The auth port: what the API, the console and the demo seeding need from an identity provider."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from core.auth.models import AuthSession, CurrentUser, SignUpResult


@runtime_checkable
class AuthProvider(Protocol):
    """Sign-up, sign-in, refresh, sign-out and current user, whoever issues the tokens.

    Implementations: ``core.auth.local_auth.LocalAuthProvider`` (embedded default, users in
    ``auth.users``) and ``core.auth.supabase_auth.SupabaseAuthProvider`` (Supabase Auth / GoTrue).
    Every method raises ``core.errors`` classes only: ``InvalidCredentials``, ``WeakPassword``,
    ``ConfirmationRequired``, ``TokenExpired``, ``InvalidToken``,
    ``RefreshTokenReused``, ``SessionRevoked``, ``RateLimited``, ``UpstreamError``.
    Implementations hold no per-user state: one provider object serves every user concurrently.
    """

    def sign_up(
        self, email: str, password: str, *, user_metadata: dict[str, Any] | None = None
    ) -> SignUpResult:
        """Create a user unless the address has one; the answer never tells which.

        Returns the same ``SignUpResult`` for a new and an existing address (no tokens; the
        caller signs in next). Raises only for what does not depend on the address
        (``ValidationFailed``, ``WeakPassword``, ``RateLimited``, ``UpstreamError``).
        """
        ...

    def sign_in(self, email: str, password: str, *, client_ip: str | None = None) -> AuthSession:
        """Exchange e-mail and password for a session.

        ``client_ip`` is the end user's address (the API resolves it as for rate limiting); the
        local adapter keys its sign-in lock by e-mail and address. ``RateLimited`` while locked.
        """
        ...

    def refresh(self, refresh_token: str) -> AuthSession:
        """Rotate a refresh token: the old one stops working, a new pair is returned."""
        ...

    def sign_out(self, access_token: str) -> None:
        """Revoke the session the access token belongs to (its refresh tokens stop working)."""
        ...

    def sign_out_everywhere(self, access_token: str) -> None:
        """Revoke every session of the token's user (all devices and API clients)."""
        ...

    def get_user(self, access_token: str) -> CurrentUser:
        """Verify the token, check its session is still live, and return the user."""
        ...
