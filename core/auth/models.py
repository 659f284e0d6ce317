"""Auth value objects shared by every adapter, the verifier, the API and the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
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


# The names the issue and other slices use for the same thing.
Session = AuthSession
TokenPair = AuthSession
