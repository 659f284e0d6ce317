"""API keys: their format, their hash, and turning a presented key into the principal it is.

A key is ``ifk_<prefix>_<secret>``: ``ifk_`` says what it is (so the API tells it from a JWT),
the 12-character prefix is public (shown in lists and logs, the lookup key), the secret is 32
random bytes (base64url). The database keeps the prefix and the SHA-256 of the whole key, never
the key: a fast hash is right for a random 256-bit secret (nothing to brute-force), and it lets
every request check the key without a cache, so a revocation takes effect on the next request.

A valid key becomes a ``CurrentUser`` for the key's service principal with the claims a verified
token of that principal would carry, so ``user_session`` runs its queries under RLS as a member
of the key's one client. When an HS256 secret is configured (always locally) the principal also
gets a short-lived access token of its own, for adapters that forward one (Supabase Storage).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from sqlalchemy.exc import DBAPIError

from core.auth.models import CurrentUser
from core.db import api_key_repo
from core.db.session import translate_db_error
from core.errors import InvalidApiKey

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.config import Settings

KEY_PREFIX = "ifk_"
_KEY = re.compile(r"^ifk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MINTED_TOKEN_SECONDS = 300


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: shown once; only ``prefix`` and ``key_hash`` are stored."""

    key: str
    prefix: str
    key_hash: str


def hash_key(key: str) -> str:
    """The stored form of a key: SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate() -> NewKey:
    """A new random key."""
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(key, prefix, hash_key(key))


def looks_like_key(token: str) -> bool:
    """True for a bearer credential that is meant as an API key (not a JWT)."""
    return token.startswith(KEY_PREFIX)


def principal_claims(
    principal_id: str, *, client_id: str, key_id: str, role: str, settings: Settings
) -> dict[str, Any]:
    """The claims a verified token of the principal would carry (``request.jwt.claims``)."""
    now = int(time.time())
    return {
        "sub": principal_id,
        "role": "authenticated",
        "aud": settings.jwt_audience,
        "iss": settings.effective_jwt_issuer,
        "iat": now,
        "exp": now + MINTED_TOKEN_SECONDS,
        "app_metadata": {
            "provider": "invoiceflow",
            "service_principal": "api_key",
            "client_id": client_id,
            "api_key_id": key_id,
            "key_role": role,
        },
    }


class ApiKeyAuthenticator:
    """Checks presented keys against the database on every request (no cache)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    def authenticate(self, key: str) -> CurrentUser:
        """The key's principal as a ``CurrentUser``; ``InvalidApiKey`` (HTTP 401) when the key is
        malformed, unknown, revoked or expired. The message never repeats the key."""
        match = _KEY.match(key or "")
        if match is None:
            raise InvalidApiKey("not a valid API key")
        presented = hash_key(key)
        try:
            with self._engine.begin() as conn:
                found = api_key_repo.lookup(conn, prefix=match.group(1), key_hash=presented)
        except DBAPIError as exc:
            raise translate_db_error(exc) from exc
        if found is None or not hmac.compare_digest(found.key_hash, presented):
            raise InvalidApiKey("unknown API key")
        if found.revoked_at is not None:
            raise InvalidApiKey("this API key was revoked")
        if found.expires_at is not None and found.expires_at <= dt.datetime.now(dt.timezone.utc):
            raise InvalidApiKey("this API key has expired")
        if not found.is_member:
            raise InvalidApiKey("this API key no longer has access to its client")
        claims = principal_claims(
            str(found.principal_id),
            client_id=str(found.client_id),
            key_id=str(found.id),
            role=found.role,
            settings=self._settings,
        )
        secret = self._settings.jwt_verification_secret
        token = jwt.encode(claims, secret, algorithm="HS256") if secret else ""
        return CurrentUser(
            id=found.principal_id, email=None, role="authenticated", claims=claims,
            access_token=token,
        )  # fmt: skip
