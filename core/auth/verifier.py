"""One verifier for every access token, whoever issued it.

Each key source verifies only the algorithms it owns. HS256 tokens are checked with the project
secret (Supabase's legacy JWT secret, or the local adapter's secret) and nothing else; there is
no such secret unless a real one is configured (``Settings.jwt_verification_secret``: the
built-in development secret only in the embedded default). ES256/RS256 tokens are checked with
the public key named by their ``kid`` in a JWKS that is fetched over HTTP, cached for a TTL and
refetched when an unknown ``kid`` shows up (key rotation); a JWKS contributes asymmetric keys
only, never a shared secret. The algorithm comes from an explicit allow-list and decides which
key family is used, so an RS256 public key can never be replayed as an HS256 secret and
``alg=none`` never verifies.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx
import jwt

from core.auth.models import CurrentUser
from core.errors import InvalidToken, TokenExpired, UpstreamError

if TYPE_CHECKING:
    from core.auth.session_check import SessionCheck
    from core.config import Settings

log = logging.getLogger(__name__)

SYMMETRIC_ALGORITHMS = frozenset({"HS256"})
ASYMMETRIC_ALGORITHMS = frozenset({"ES256", "RS256"})
SUPPORTED_ALGORITHMS = SYMMETRIC_ALGORITHMS | ASYMMETRIC_ALGORITHMS
REQUIRED_CLAIMS = ("exp", "iat", "sub", "aud", "iss")
VERIFIED_CACHE_SIZE = 10_000  # tokens kept verified per process (about 3 MB)


class JwksCache:
    """Public keys by ``kid`` from a JWKS URL, cached for ``ttl_seconds``.

    An unknown ``kid`` forces a refetch, but at most once per ``min_refetch_seconds`` so a flood
    of tokens with random ``kid`` values cannot turn into a flood of requests to the issuer.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = 600.0,
        min_refetch_seconds: float = 10.0,
        timeout_seconds: float = 5.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._client = http_client or httpx.Client(timeout=timeout_seconds)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self.fetch_count = 0

    def key_for(self, kid: str) -> jwt.PyJWK:
        """Return the key for ``kid``, fetching or refetching the JWKS when needed."""
        with self._lock:
            now = time.monotonic()
            stale = self._fetched_at is None or now - self._fetched_at >= self.ttl_seconds
            may_refetch = (
                self._fetched_at is None or now - self._fetched_at >= self.min_refetch_seconds
            )
            if stale or (kid not in self._keys and may_refetch):
                try:
                    self._fetch()
                except UpstreamError:
                    if not self._keys:
                        raise
                    # Keep verifying with the keys we have during an issuer outage (rotation
                    # keeps old keys published for a while); retry after min_refetch_seconds.
                    log.warning("JWKS refetch failed; using the cached keys", exc_info=True)
                    self._fetched_at = now - self.ttl_seconds + self.min_refetch_seconds
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken(f"token signed with an unknown key (kid={kid!r})")
        return key

    def _fetch(self) -> None:
        try:
            response = self._client.get(self.url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except httpx.HTTPError as exc:
            raise UpstreamError(f"could not fetch the JWKS from {self.url}: {exc}") from exc
        except ValueError as exc:
            raise UpstreamError(f"the JWKS at {self.url} is not JSON") from exc
        keys: dict[str, jwt.PyJWK] = {}
        for entry in data.get("keys", []) if isinstance(data, dict) else []:
            if not isinstance(entry, dict) or not entry.get("kid"):
                continue
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type we do not support; tokens naming it will be refused
            if key.algorithm_name not in ASYMMETRIC_ALGORITHMS:
                continue  # a JWKS publishes public keys; a symmetric ("oct") entry is never one
            keys[str(entry["kid"])] = key
        self._keys = keys
        self._fetched_at = time.monotonic()
        self.fetch_count += 1


class TokenVerifier:
    """Verifies access tokens and turns them into ``CurrentUser`` values."""

    def __init__(
        self,
        *,
        issuer: str | Iterable[str],
        audience: str = "authenticated",
        secret: str | None = None,
        jwks: JwksCache | None = None,
        algorithms: Iterable[str] = ("HS256", "ES256", "RS256"),
        leeway_seconds: float = 0.0,
        session_check: SessionCheck | None = None,
        allow_anonymous: bool = False,
    ) -> None:
        allowed = {a.upper() for a in algorithms}
        unknown = allowed - SUPPORTED_ALGORITHMS
        if unknown:
            raise ValueError(f"unsupported JWT algorithms in the allow-list: {sorted(unknown)}")
        # One issuer, or several (a custom domain's tokens may carry the project's own URL).
        issuers = (issuer,) if isinstance(issuer, str) else tuple(issuer)
        self.issuer = issuers[0]
        self.issuers = issuers
        # Supabase anonymous users (is_anonymous=true) are refused unless allowed.
        self.allow_anonymous = allow_anonymous
        self.audience = audience
        self.algorithms = frozenset(allowed)
        self.leeway_seconds = leeway_seconds
        self._secret = secret
        self._jwks = jwks
        # Checks that the token's session is still live (F7); None = signature and expiry only.
        self.session_check = session_check
        # Verified tokens -> (user, expiry): the API sees the same token on every request of a
        # session, and verifying it again gives the same answer until it expires.
        self._verified: dict[str, tuple[CurrentUser, float]] = {}
        self._verified_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        http_client: httpx.Client | None = None,
        session_check: SessionCheck | None = None,
    ) -> TokenVerifier:
        """Build the verifier the settings describe (secret, JWKS URL, issuer, audience)."""
        jwks_url = settings.jwks_url
        if jwks_url is None and settings.auth_backend == "supabase" and settings.supabase_url:
            # Supabase projects with asymmetric signing keys publish them here.
            jwks_url = settings.supabase_url.rstrip("/") + "/auth/v1/.well-known/jwks.json"
        jwks = (
            JwksCache(jwks_url, ttl_seconds=settings.jwks_ttl_seconds, http_client=http_client)
            if jwks_url
            else None
        )
        return cls(
            issuer=settings.accepted_jwt_issuers,
            audience=settings.jwt_audience,
            # None unless a real secret is configured (or the embedded default's built-in one).
            secret=settings.jwt_verification_secret,
            jwks=jwks,
            algorithms=settings.jwt_algorithms,
            leeway_seconds=settings.jwt_leeway_seconds,
            session_check=session_check,
            allow_anonymous=settings.allow_anonymous_users,
        )

    def verify(self, token: str) -> dict[str, Any]:
        """Return the verified claims, or raise ``TokenExpired`` / ``InvalidToken``."""
        if not token or not isinstance(token, str):
            raise InvalidToken("no access token given")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("the access token is malformed") from exc
        alg = str(header.get("alg", ""))
        if alg not in self.algorithms:
            raise InvalidToken(f"token algorithm {alg or 'none'!r} is not allowed")
        key = self._key_for(alg, header)
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=list(self.issuers),
                leeway=self.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("the access token has expired; sign in again") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken(f"token audience is not {self.audience!r}") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken(f"token issuer is not one of {list(self.issuers)!r}") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("token signature does not verify (tampered or wrong key)") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"token lacks the {exc.claim!r} claim") from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidToken("token is not valid yet") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"invalid access token: {exc}") from exc

    def cached_user(self, token: str) -> CurrentUser | None:
        """The user of a token already verified, unexpired, and whose session was live recently.

        Never touches the network or the database (the API calls it on the event loop).
        """
        user = self._cached_verified(token)
        if user is None:
            return None
        if self.session_check is not None and not self.session_check.is_fresh(user):
            return None
        return user

    def current_user(self, token: str) -> CurrentUser:
        """Verify ``token`` and return the user it proves (role must be ``authenticated``).

        With a ``session_check``, also refuse (``SessionRevoked``) a token whose session was
        signed out or revoked, or whose user was banned or deleted.
        """
        user = self._cached_verified(token)
        if user is None:
            user = self._current_user(token)
            expires = user.claims.get("exp")
            if isinstance(expires, int | float):
                with self._verified_lock:
                    if len(self._verified) >= VERIFIED_CACHE_SIZE:
                        self._verified.pop(next(iter(self._verified)))  # oldest first
                    self._verified[token] = (user, float(expires))
        if self.session_check is not None:
            self.session_check.check(user)
        return user

    def forget_session(self, session_id: str | None) -> None:
        """A session was revoked through this process: stop accepting its tokens at once."""
        if self.session_check is not None:
            self.session_check.forget(session_id)

    def _cached_verified(self, token: str) -> CurrentUser | None:
        entry = self._verified.get(token)
        if entry is None or time.time() >= entry[1] + self.leeway_seconds:
            return None
        return entry[0]

    def _current_user(self, token: str) -> CurrentUser:
        claims = self.verify(token)
        try:
            user_id = UUID(str(claims["sub"]))
        except ValueError as exc:
            raise InvalidToken("token subject is not a user id") from exc
        role = str(claims.get("role", ""))
        if role != "authenticated":
            raise InvalidToken(f"token role {role!r} is not a signed-in user")
        if claims.get("is_anonymous") is True and not self.allow_anonymous:
            # GoTrue's anonymous sign-ins are role authenticated too; only is_anonymous tells.
            raise InvalidToken(
                "anonymous users may not sign in (INVOICEFLOW_ALLOW_ANONYMOUS_USERS)"
            )
        email = claims.get("email")
        return CurrentUser(
            id=user_id,
            email=str(email) if email else None,
            role=role,
            claims=claims,
            access_token=token,
        )

    def _key_for(self, alg: str, header: dict[str, Any]) -> Any:
        if alg in SYMMETRIC_ALGORITHMS:
            if not self._secret:
                raise InvalidToken("HS256 tokens are not accepted: no project secret configured")
            return self._secret
        if self._jwks is None:
            raise InvalidToken(f"{alg} tokens are not accepted: no JWKS URL configured")
        kid = header.get("kid")
        if not kid:
            raise InvalidToken(f"{alg} token has no key id (kid)")
        jwk = self._jwks.key_for(str(kid))
        # The key must be meant for this algorithm: an EC key cannot verify RS256 and vice versa.
        if jwk.algorithm_name != alg:
            raise InvalidToken(f"key {kid!r} is for {jwk.algorithm_name}, token says {alg}")
        return jwk.key
