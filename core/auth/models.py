"""Auth value objects shared by every adapter, the verifier, the API and the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID


@dataclass(frozen=True)
class CurrentUser:
    """A signed-in user as proven by a verified access token.

    ``claims`` are the verified JWT claims; they are what ``core.db.session.user_session`` hands to
    Postgres as ``request.jwt.claims``. ``access_token`` is kept so adapters that call Supabase on
    the user's behalf (Storage) can forward it; never log it.
    """

    id: UUID
    email: str | None
    role: str
    claims: dict[str, Any] = field(repr=False)
    access_token: str = field(repr=False)

    @property
    def session_id(self) -> str | None:
        """The ``session_id`` claim (GoTrue and the local adapter both set it)."""
        value = self.claims.get("session_id")
        return str(value) if value else None


@dataclass(frozen=True)
class AuthSession:
    """The result of sign-up, sign-in and refresh: a token pair and the user it belongs to."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int  # epoch seconds of the access token's ``exp``
    user: CurrentUser
    token_type: str = "bearer"  # noqa: S105 - a token kind, not a secret


SignUpState = Literal["sign_in", "confirm_email"]

# What to do after signing up. Worded so that it is true whether or not the address already had
# an account: sign-up never tells which (no account enumeration).
SIGN_UP_MESSAGES: dict[str, str] = {
    "sign_in": (
        "Sign in with this e-mail address and password. If the address already had an account, "
        "its own password applies."
    ),
    "confirm_email": (
        "Check your inbox: follow the link sent to this address to confirm it, then sign in."
    ),
}


@dataclass(frozen=True)
class SignUpResult:
    """The answer to a sign-up: identical for a new and an already registered address.

    ``state`` says what the caller does next: ``sign_in`` (the account can be used now) or
    ``confirm_email`` (the identity provider sent a confirmation link first). No tokens: the
    caller signs in, which succeeds only with the account's own password.
    """

    email: str
    state: SignUpState

    @property
    def message(self) -> str:
        """What to tell the person who signed up."""
        return SIGN_UP_MESSAGES[self.state]


# The names the issue and other slices use for the same thing.
Session = AuthSession
TokenPair = AuthSession
