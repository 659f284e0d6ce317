"""A loopback HTTP fake of the Supabase endpoints our adapters call (GoTrue + Storage + gateway).

It is a real HTTP server (Starlette under uvicorn on 127.0.0.1) that answers in the request and
error shapes of the real services, taken from their source and docs (each behaviour names its
source in a comment). Sources, by short name:

- GoTrue: github.com/supabase/auth (``internal/api/*.go``, ``internal/tokens/service.go``,
  ``internal/models/refresh_token.go``).
- storage-api: github.com/supabase/storage (``src/internal/errors/codes.ts``,
  ``storage-error.ts``, ``src/http/error-handler.ts``, ``src/http/plugins/jwt.ts``,
  ``src/http/routes/object/*.ts``).
- docs: supabase.com/docs/guides/api/api-keys (keys), .../auth/signing-keys (JWKS, rotation),
  .../auth/rate-limits and .../auth/rate-limits/ip-forwarding (limits, ``Sb-Forwarded-For``).

Three key setups (``key_setup``), as a project moves off the legacy JWT secret:
``legacy`` (anon and service_role keys are HS256 JWTs, tokens HS256), ``new`` (``sb_publishable_``
and ``sb_secret_`` keys; tokens signed with an ES256 key; the legacy secret still verifies) and
``revoked`` (the legacy secret revoked: HS256 tokens and the legacy JWT keys are refused).
Storage applies the same rule as our migrations: members of the client in the key's first
folder read, owners and operators write and delete; the service role bypasses it.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.http_server import serve

API_VERSION = {"X-Supabase-Api-Version": "2024-01-01"}
WRITERS = {"owner", "operator"}
MAX_PASSWORD_BYTES = 72  # GoTrue internal/api/password.go: MaxPasswordLength (bcrypt's limit)
KeySetup = Literal["legacy", "new", "revoked"]


def _now() -> float:
    return time.time()


@dataclass
class Bucket:
    """A bucket's settings (docs: Storage > Buckets; storage-api ``validateMimeType``)."""

    public: bool = False
    allowed_mime_types: list[str] | None = None
    file_size_limit: int | None = None


@dataclass
class SupabaseFake:
    """State and routes of the fake; ``url`` is set while it is served."""

    key_setup: KeySetup = "legacy"
    jwt_secret: str = "fake-supabase-jwt-secret-0123456789-abcdefgh"
    confirm_email: bool = False
    # GoTrue GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL (docs: Auth > Sessions, default 10 s).
    reuse_interval: float = 10.0
    allow_anonymous: bool = False
    # docs .../auth/rate-limits: per IP, sign-ins and sign-ups ~30 per 5 min, token refreshes
    # ~1,800 per hour, e-mails 2 per hour with the built-in SMTP. None = not limited here.
    signin_limit: int | None = None
    refresh_limit: int | None = None
    email_limit_per_hour: int = 2
    # docs .../rate-limits/ip-forwarding: "Enable IP address forwarding" (Auth > Rate Limits).
    ip_forwarding_enabled: bool = True
    url: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> user
    sessions: dict[str, str] = field(default_factory=dict)  # session id -> user id
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    buckets: dict[str, Bucket] = field(default_factory=lambda: {"invoices": Bucket()})
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # client -> user -> role
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    request_headers: list[dict[str, str]] = field(default_factory=list)
    # Rate-limit counters: (limit name, address) -> attempt times; e-mails sent per hour.
    hits: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    emails_sent: list[float] = field(default_factory=list)
    # The edge in front of Auth and Storage: while set, every request gets a bare 429.
    gateway_retry_after: int | None = None
    # Storage writes each object's storage.objects row in the project's database, as the
    # caller (under RLS): tests that share our database pass a callback that does the same.
    on_object: Callable[[str, str, str, dict[str, Any]], None] | None = None
    signing_keys: list[tuple[str, ec.EllipticCurvePrivateKey]] = field(default_factory=list)
    standby_keys: list[tuple[str, ec.EllipticCurvePrivateKey]] = field(default_factory=list)
    _suffix: str = field(default_factory=lambda: secrets.token_hex(8))

    def __post_init__(self) -> None:
        if not self.signing_keys:
            self.signing_keys.append((str(uuid.uuid4()), ec.generate_private_key(ec.SECP256R1())))

    # --- keys ---------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.url + "/auth/v1"

    def _legacy_key(self, role: str) -> str:
        # docs api-keys: the legacy anon/service_role keys are HS256 JWTs of the legacy secret.
        claims = {
            "iss": "supabase",
            "ref": "fake",
            "role": role,
            "iat": 1700000000,
            "exp": 4102444800,
        }
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256")

    @property
    def legacy_anon_key(self) -> str:
        return self._legacy_key("anon")

    @property
    def legacy_service_key(self) -> str:
        return self._legacy_key("service_role")

    @property
    def publishable_key(self) -> str:
        return f"sb_publishable_{self._suffix}"

    @property
    def secret_key(self) -> str:
        return f"sb_secret_{self._suffix}"

    @property
    def anon_key(self) -> str:
        """The client key the project hands out in this setup (anon JWT or publishable)."""
        return self.legacy_anon_key if self.key_setup == "legacy" else self.publishable_key

    @property
    def service_key(self) -> str:
        """The server key in this setup (service_role JWT or ``sb_secret_``)."""
        return self.legacy_service_key if self.key_setup == "legacy" else self.secret_key

    @property
    def jwks_url(self) -> str:
        return self.url + "/auth/v1/.well-known/jwks.json"

    @property
    def signs_with(self) -> str:
        """How GoTrue signs new access tokens (docs signing-keys: the current key)."""
        return "HS256" if self.key_setup == "legacy" else "ES256"

    def add_standby_key(self) -> str:
        """docs signing-keys: a standby key is published in the JWKS before it signs anything."""
        kid = str(uuid.uuid4())
        self.standby_keys.append((kid, ec.generate_private_key(ec.SECP256R1())))
        return kid

    def rotate_signing_key(self) -> str:
        """docs signing-keys: "rotate" makes the standby key current (a new one if none); the
        previous key stays published, so tokens it signed keep verifying until they expire."""
        if not self.standby_keys:
            self.add_standby_key()
        self.signing_keys.append(self.standby_keys.pop(0))
        return self.signing_keys[-1][0]

    def last_headers(self, path_suffix: str) -> dict[str, str]:
        """The headers of the last request whose path ends with ``path_suffix``."""
        for (_, path, _), headers in zip(
            reversed(self.requests), reversed(self.request_headers), strict=False
        ):
            if path.endswith(path_suffix):
                return headers
        raise LookupError(path_suffix)

    def revoke_legacy_secret(self) -> None:
        """docs signing-keys: revoking the legacy secret ends HS256 tokens and legacy keys."""
        self.key_setup = "revoked"

    def _apikey_role(self, apikey: str) -> str | None:
        """The role an ``apikey`` stands for, or None when the gateway refuses it."""
        # docs api-keys: sb_publishable_ -> anon, sb_secret_ -> service_role; the legacy JWT keys
        # work while the legacy secret does (they are signed with it).
        if self.key_setup != "legacy" and apikey == self.publishable_key:
            return "anon"
        if self.key_setup != "legacy" and apikey == self.secret_key:
            return "service_role"
        if self.key_setup != "revoked" and apikey in (
            self.legacy_anon_key,
            self.legacy_service_key,
        ):
            return "anon" if apikey == self.legacy_anon_key else "service_role"
        return None

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, private in [*self.signing_keys, *self.standby_keys]:
            public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
            keys.append({**public, "kid": kid, "alg": "ES256", "use": "sig", "key_ops": ["verify"]})
        return {"keys": keys}  # GoTrue internal/api/jwks.go: public keys only, never the secret

    def sign(self, claims: dict[str, Any], alg: str | None = None) -> str:
        """Sign claims as GoTrue would now (``alg`` overrides, e.g. a forged HS256 token)."""
        alg = alg or self.signs_with
        if alg == "HS256":
            return jwt.encode(claims, self.jwt_secret, algorithm="HS256", headers={"kid": "legacy"})
        kid, private = self.signing_keys[-1]
        return jwt.encode(claims, private, algorithm="ES256", headers={"kid": kid})

    def verify_user_jwt(self, token: str) -> dict[str, Any] | str:
        """Claims of a token GoTrue/Storage accept now, or the jsonwebtoken-style error text."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return "jwt malformed"
        alg, key = header.get("alg"), None
        if alg == "HS256" and self.key_setup != "revoked":
            key = self.jwt_secret
        elif alg == "ES256":
            key = next(
                (p.public_key() for k, p in self.signing_keys if k == header.get("kid")), None
            )
        if key is None:
            return "invalid signature" if alg == "HS256" else "no matching key"
        try:
            return jwt.decode(
                token, key, algorithms=[str(alg)], audience="authenticated", issuer=self.issuer
            )
        except jwt.ExpiredSignatureError:
            return "jwt expired"
        except jwt.PyJWTError:
            return "invalid signature"

    def add_user(self, email: str, password: str, user_id: uuid.UUID | str | None = None) -> str:
        """A confirmed user (e.g. with the id of a row in our test database's auth.users)."""
        created = datetime.now(timezone.utc).isoformat()
        uid = str(user_id or uuid.uuid4())
        self.users[email.lower()] = {
            "id": uid,
            "email": email.lower(),
            "password": password,
            "meta": {},
            "created_at": created,
            "confirmed_at": created,
        }
        return uid

    def add_member(self, client_id: uuid.UUID | str, user_id: uuid.UUID | str, role: str) -> None:
        self.members.setdefault(str(client_id), {})[str(user_id)] = role

    # --- helpers ------------------------------------------------------------------------

    def _user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": user["id"],
            "aud": "authenticated",
            "role": "authenticated",
            "email": user["email"],
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": user["meta"],
            "created_at": user["created_at"],
            "email_confirmed_at": user.get("confirmed_at"),
            "is_anonymous": user.get("anonymous", False),
        }

    def access_token(self, user: dict[str, Any], session_id: str, ttl: int = 3600) -> str:
        now = int(_now())
        claims = {
            "iss": self.issuer,
            "sub": user["id"],
            "aud": "authenticated",
            "exp": now + ttl,
            "iat": now,
            "email": user["email"],
            "role": "authenticated",
            "aal": "aal1",
            "session_id": session_id,
            "app_metadata": {"provider": "email"},
            "user_metadata": user["meta"],
            "is_anonymous": user.get("anonymous", False),
        }
        return self.sign(claims)

    def confirm(self, email: str) -> None:
        """The user followed the confirmation link."""
        self.users[email.lower()]["confirmed_at"] = datetime.now(timezone.utc).isoformat()

    def _new_refresh_token(self, session_id: str, parent: str | None) -> str:
        # GoTrue internal/models/refresh_token.go: 12 random alphanumerics, parent = previous.
        token = secrets.token_hex(6)
        self.refresh_tokens[token] = {
            "session": session_id,
            "revoked": False,
            "parent": parent,
            "updated_at": _now(),
        }
        return token

    def _session(self, user: dict[str, Any], session_id: str, refresh: str) -> JSONResponse:
        body = {
            "access_token": self.access_token(user, session_id),
            "token_type": "bearer",
            "expires_in": 3600,
            "expires_at": int(_now()) + 3600,
            "refresh_token": refresh,
            "user": self._user_json(user),
        }
        return JSONResponse(body, headers=API_VERSION)

    def _new_session(self, user: dict[str, Any]) -> JSONResponse:
        sid = str(uuid.uuid4())
        self.sessions[sid] = user["id"]
        return self._session(user, sid, self._new_refresh_token(sid, None))

    @staticmethod
    def _auth_error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
        return JSONResponse({"code": code, "message": message, **extra}, status, API_VERSION)

    @staticmethod
    def _storage_error(status: str, code: str, error: str, message: str) -> JSONResponse:
        # storage-api storage-error.ts + error-handler.ts: every 4xx StorageBackendError is sent
        # as HTTP 400 (userStatusCode), the real status only in the body's "statusCode" string.
        body = {"statusCode": status, "code": code, "error": error, "message": message}
        return JSONResponse(body, 500 if status == "500" else 400)

    def _not_found(self) -> JSONResponse:
        return self._storage_error("404", "NoSuchKey", "not_found", "Object not found")

    def _user_claims(self, request: Request) -> dict[str, Any] | str:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return "no_authorization"
        return self.verify_user_jwt(header[7:])

    def _role(self, claims: dict[str, Any], name: str) -> str | None:
        return self.members.get(name.split("/", 1)[0], {}).get(str(claims.get("sub")))

    def _client_address(self, request: Request) -> str:
        # docs ip-forwarding: Sb-Forwarded-For counts only with a secret key (publishable and
        # legacy anon/service_role keys are not supported) and when forwarding is enabled.
        forwarded = request.headers.get("sb-forwarded-for")
        if (
            forwarded
            and self.ip_forwarding_enabled
            and request.headers.get("apikey")
            == (self.secret_key if self.key_setup != "legacy" else None)
        ):
            return forwarded.split(",")[0].strip()
        return request.client.host if request.client else "unknown"

    def _over_limit(self, name: str, limit: int | None, window: float, address: str) -> bool:
        if limit is None:
            return False
        now = _now()
        recent = [t for t in self.hits.get((name, address), []) if now - t < window]
        self.hits[(name, address)] = [*recent, now]
        return len(recent) >= limit

    def _rate_limited(self) -> JSONResponse:
        # GoTrue internal/api/apierrors/errorcode.go over_request_rate_limit, HTTP 429.
        return self._auth_error(429, "over_request_rate_limit", "Request rate limit reached")

    def _send_email(self) -> JSONResponse | None:
        # GoTrue mailer + docs rate-limits: 2 e-mails per hour with the built-in SMTP, then 429
        # over_email_send_rate_limit (and the sign-up is not saved).
        now = _now()
        self.emails_sent = [t for t in self.emails_sent if now - t < 3600]
        if len(self.emails_sent) >= self.email_limit_per_hour:
            return self._auth_error(429, "over_email_send_rate_limit", "email rate limit exceeded")
        self.emails_sent.append(now)
        return None

    # --- GoTrue -------------------------------------------------------------------------

    async def signup(self, request: Request) -> Response:
        body = await request.json()
        if self._over_limit("signin", self.signin_limit, 300, self._client_address(request)):
            return self._rate_limited()
        email, password = str(body.get("email") or "").lower(), str(body.get("password") or "")
        if not email and not password:
            # GoTrue internal/api/anonymous.go: an empty sign-up is an anonymous sign-in when the
            # project allows it; the user's tokens carry is_anonymous=true, role authenticated.
            if not self.allow_anonymous:
                return self._auth_error(
                    422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled"
                )
            user = {
                "id": str(uuid.uuid4()),
                "email": "",
                "password": None,
                "meta": {},
                "created_at": datetime.now(timezone.utc).isoformat(),
                "anonymous": True,
            }
            self.users[f"anonymous:{user['id']}"] = user
            return self._new_session(user)
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            # GoTrue internal/api/signup.go: passwords over MaxPasswordLength (72, bytes) -> 400.
            return self._auth_error(
                400, "validation_failed", "Password cannot be longer than 72 characters"
            )
        if len(password) < 6:
            # GoTrue internal/api/password.go checkPasswordStrength -> weak_password + reasons.
            reasons = {"reasons": ["length"]}
            message = "Password should be at least 6 characters."
            return self._auth_error(422, "weak_password", message, weak_password=reasons)
        if email in self.users:
            if self.confirm_email:
                # GoTrue (internal/api/signup.go, sanitizeUser): with confirmation on, a taken
                # address gets 200 and an obfuscated user (random id, no identities, no session)
                # so that sign-up does not reveal it; with autoconfirm it answers "already
                # registered".
                obfuscated = {
                    **self.users[email],
                    "id": str(uuid.uuid4()),
                    "meta": body.get("data") or {},
                    "confirmed_at": None,
                }
                return JSONResponse(
                    {**self._user_json(obfuscated), "identities": []}, headers=API_VERSION
                )
            return self._auth_error(422, "user_already_exists", "User already registered")
        created = datetime.now(timezone.utc).isoformat()
        user = {
            "id": str(uuid.uuid4()),
            "email": email,
            "password": password,
            "meta": body.get("data") or {},
            "created_at": created,
            "confirmed_at": None if self.confirm_email else created,
        }
        if self.confirm_email:
            refused = self._send_email()
            if refused is not None:
                return refused
            self.users[email] = user
            return JSONResponse(self._user_json(user), headers=API_VERSION)
        self.users[email] = user
        return self._new_session(user)

    async def token(self, request: Request) -> Response:
        body = await request.json()
        grant = request.query_params.get("grant_type")
        address = self._client_address(request)
        if grant == "password":
            if self._over_limit("signin", self.signin_limit, 300, address):
                return self._rate_limited()
            user = self.users.get(str(body.get("email", "")).lower())
            if user is None or user["password"] != body.get("password"):
                return self._auth_error(400, "invalid_credentials", "Invalid login credentials")
            if not user.get("confirmed_at"):
                # GoTrue internal/api/token.go: after the password matched, an unconfirmed
                # address gets 400 email_not_confirmed.
                return self._auth_error(400, "email_not_confirmed", "Email not confirmed")
            return self._new_session(user)
        if grant == "refresh_token":
            if self._over_limit("refresh", self.refresh_limit, 3600, address):
                return self._rate_limited()
            return self._refresh(str(body.get("refresh_token") or ""))
        return self._auth_error(400, "validation_failed", "unsupported grant_type")

    def _refresh(self, token: str) -> Response:
        """GoTrue internal/tokens/service.go RefreshTokenGrant, step by step."""
        if not token:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "refresh_token required"}, 400
            )
        if not token.isalnum() or len(token) > 64:
            # issue 18, observed: a string that cannot be a refresh token -> validation_failed.
            return self._auth_error(400, "validation_failed", "Invalid refresh token format")
        entry = self.refresh_tokens.get(token)
        if entry is None or entry["session"] not in self.sessions:
            # Sign-out deletes the session and, by cascade, its refresh tokens.
            return self._auth_error(
                400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"
            )
        sid = entry["session"]
        if entry["revoked"]:
            active = next(
                (
                    t
                    for t, e in self.refresh_tokens.items()
                    if e["session"] == sid and not e["revoked"]
                ),
                None,
            )
            if active is not None and self.refresh_tokens[active]["parent"] == token:
                # The parent of the active token: the client lost the last answer; it gets the
                # current session back (the active refresh token), no new token is minted.
                user = self._user_by_id(self.sessions[sid])
                return self._session(user, sid, active)
            if _now() > entry["updated_at"] + self.reuse_interval:
                # internal/models/refresh_token.go RevokeTokenFamily: every live token of the
                # session is revoked (updated_at = now); the session row stays.
                for other in self.refresh_tokens.values():
                    if other["session"] == sid and not other["revoked"]:
                        other.update(revoked=True, updated_at=_now())
                return self._auth_error(
                    400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"
                )
        entry.update(revoked=True, updated_at=_now())  # GrantRefreshTokenSwap
        user = self._user_by_id(self.sessions[sid])
        return self._session(user, sid, self._new_refresh_token(sid, token))

    def _user_by_id(self, user_id: str) -> dict[str, Any]:
        return next(u for u in self.users.values() if u["id"] == user_id)

    def _drop_session(self, sid: str) -> None:
        self.sessions.pop(sid, None)
        for token in [t for t, e in self.refresh_tokens.items() if e["session"] == sid]:
            del self.refresh_tokens[token]

    async def logout(self, request: Request) -> Response:
        claims = self._user_claims(request)
        if isinstance(claims, str):
            return self._auth_error(401, "bad_jwt", claims)
        sid = str(claims.get("session_id"))
        if sid not in self.sessions:
            return self._auth_error(
                403, "session_not_found", "Session from session_id claim in JWT does not exist"
            )
        # GoTrue internal/api/logout.go: scope global (the SDK's default) | local | others.
        scope = request.query_params.get("scope", "global")
        mine = [s for s, u in self.sessions.items() if u == claims["sub"]]
        for other in {"global": mine, "local": [sid], "others": [s for s in mine if s != sid]}[
            scope
        ]:
            self._drop_session(other)
        return Response(status_code=204)

    async def user(self, request: Request) -> Response:
        claims = self._user_claims(request)
        if isinstance(claims, str):
            return self._auth_error(401, "bad_jwt", claims)
        if str(claims.get("session_id")) not in self.sessions:
            return self._auth_error(
                403, "session_not_found", "Session from session_id claim in JWT does not exist"
            )
        return JSONResponse(self._user_json(self._user_by_id(claims["sub"])), headers=API_VERSION)

    async def jwks_route(self, request: Request) -> Response:
        return JSONResponse(self.jwks())

    # --- Storage ------------------------------------------------------------------------

    def _storage_caller(self, request: Request, *, allow_invalid: bool) -> dict[str, Any]:
        """The caller's claims; raises ``_Refusal`` for a bad token on a strict route."""
        apikey = request.headers.get("apikey", "")
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else ""
        key_role = self._apikey_role(apikey)
        if not bearer or bearer == apikey:
            # docs api-keys: without a user JWT the gateway sends the key's own role.
            return {"role": key_role or "anon"}
        if self._apikey_role(bearer) is not None:
            return {"role": self._apikey_role(bearer)}
        claims = self.verify_user_jwt(bearer)
        if isinstance(claims, str):
            # storage-api src/http/plugins/jwt.ts: a bad JWT is anonymous on routes with
            # allowInvalidJwt (authenticated download and info), else ERRORS.AccessDenied.
            if allow_invalid:
                return {"role": "anon"}
            raise _Refusal(self._storage_error("403", "AccessDenied", "Unauthorized", claims))
        return claims

    def _bucket(self, name: str) -> Bucket | None:
        return self.buckets.get(name)

    def _visible(self, claims: dict[str, Any], bucket: str, name: str) -> dict[str, Any] | None:
        obj = self.objects.get((bucket, name))
        if obj is None:
            return None
        if claims.get("role") == "service_role":
            return obj  # the service role bypasses RLS (docs api-keys)
        return obj if self._role(claims, name) is not None else None

    async def upload(self, request: Request) -> Response:
        try:
            claims = self._storage_caller(request, allow_invalid=False)
        except _Refusal as refusal:
            return refusal.response
        bucket_name, name = request.path_params["bucket"], request.path_params["name"]
        bucket = self._bucket(bucket_name)
        if bucket is None:
            # storage-api codes.ts NoSuchBucket.
            return self._storage_error(
                "404", "NoSuchBucket", "Bucket not found", "Bucket not found"
            )
        if claims.get("role") != "service_role" and self._role(claims, name) not in WRITERS:
            # storage-api: Postgres' RLS refusal becomes AccessDenied (403) "Unauthorized".
            return self._storage_error(
                "403", "AccessDenied", "Unauthorized", "new row violates row-level security policy"
            )
        form = await request.form()
        part = form["file"]
        data = await part.read()  # type: ignore[union-attr]
        content_type = str(part.content_type or "")  # type: ignore[union-attr]
        if bucket.allowed_mime_types is not None and content_type not in bucket.allowed_mime_types:
            # storage-api validateMimeType: the whole content type must be one of the allowed
            # ones (or match a "type/*" wildcard); "text/xml; charset=utf-8" is not "text/xml".
            wildcard = content_type.split("/", 1)[0] + "/*"
            if wildcard not in bucket.allowed_mime_types:
                return self._storage_error(
                    "415",
                    "InvalidMimeType",
                    "invalid_mime_type",
                    f"mime type {content_type} is not supported",
                )
        if bucket.file_size_limit is not None and len(data) > bucket.file_size_limit:
            return self._storage_error(
                "413",
                "EntityTooLarge",
                "Payload too large",
                "The object exceeded the maximum allowed size",
            )
        if (bucket_name, name) in self.objects and request.headers.get("x-upsert") != "true":
            return self._storage_error(
                "409", "KeyAlreadyExists", "Duplicate", "The resource already exists"
            )
        if self.on_object is not None:
            self.on_object("insert", bucket_name, name, claims)
        obj = {"data": data, "content_type": content_type, "owner": claims.get("sub")}
        self.objects[(bucket_name, name)] = {**obj, "id": str(uuid.uuid4())}
        return JSONResponse(
            {"Key": f"{bucket_name}/{name}", "Id": self.objects[(bucket_name, name)]["id"]}
        )

    async def download(self, request: Request) -> Response:
        claims = self._storage_caller(request, allow_invalid=True)
        bucket = request.path_params["bucket"]
        if self._bucket(bucket) is None:
            return self._storage_error(
                "404", "NoSuchBucket", "Bucket not found", "Bucket not found"
            )
        obj = self._visible(claims, bucket, request.path_params["name"])
        if obj is None:
            return self._not_found()
        return Response(obj["data"], media_type=obj["content_type"])

    async def info(self, request: Request) -> Response:
        claims = self._storage_caller(request, allow_invalid=True)
        name, bucket = request.path_params["name"], request.path_params["bucket"]
        if self._bucket(bucket) is None:
            return self._storage_error(
                "404", "NoSuchBucket", "Bucket not found", "Bucket not found"
            )
        obj = self._visible(claims, bucket, name)
        if obj is None:
            return self._not_found()
        return JSONResponse(
            {
                "id": obj["id"],
                "name": name,
                "size": len(obj["data"]),
                "content_type": obj["content_type"],
            }
        )

    async def remove(self, request: Request) -> Response:
        try:
            claims = self._storage_caller(request, allow_invalid=False)
        except _Refusal as refusal:
            return refusal.response
        bucket = request.path_params["bucket"]
        removed = []
        for name in (await request.json()).get("prefixes", []):
            writer = claims.get("role") == "service_role" or self._role(claims, name) in WRITERS
            if self._visible(claims, bucket, name) and writer:
                self.objects.pop((bucket, name))
                if self.on_object is not None:
                    self.on_object("delete", bucket, name, claims)
                removed.append({"name": name, "bucket_id": bucket})
        return JSONResponse(removed)

    async def sign_url(self, request: Request) -> Response:
        try:
            claims = self._storage_caller(request, allow_invalid=False)
        except _Refusal as refusal:
            return refusal.response
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        if self._visible(claims, bucket, name) is None:
            return self._not_found()
        expires_in = int((await request.json())["expiresIn"])
        now = int(_now())
        token = jwt.encode(
            {"url": f"{bucket}/{name}", "iat": now, "exp": now + expires_in},
            self.jwt_secret,
            algorithm="HS256",
        )
        return JSONResponse({"signedURL": f"/object/sign/{bucket}/{name}?token={token}"})

    async def signed_download(self, request: Request) -> Response:
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        try:
            claims = jwt.decode(
                request.query_params.get("token", ""), self.jwt_secret, algorithms=["HS256"]
            )
        except jwt.ExpiredSignatureError:
            return self._storage_error("400", "InvalidJWT", "InvalidJWT", "jwt expired")
        except jwt.PyJWTError:
            return self._storage_error("400", "InvalidJWT", "InvalidJWT", "invalid signature")
        obj = self.objects.get((bucket, name))
        if claims.get("url") != f"{bucket}/{name}" or obj is None:
            return self._not_found()
        return Response(obj["data"], media_type=obj["content_type"])

    async def get_bucket(self, request: Request) -> Response:
        claims = self._storage_caller(request, allow_invalid=False)
        name = request.path_params["bucket"]
        bucket = self._bucket(name)
        # storage-api getBucket reads storage.buckets under RLS: our migration lets
        # authenticated users see "invoices"; anon sees nothing; the service role everything.
        if bucket is None or claims.get("role") not in ("service_role", "authenticated"):
            return self._storage_error(
                "404", "NoSuchBucket", "Bucket not found", "Bucket not found"
            )
        return JSONResponse(
            {
                "id": name,
                "name": name,
                "public": bucket.public,
                "allowed_mime_types": bucket.allowed_mime_types,
                "file_size_limit": bucket.file_size_limit,
            }
        )

    def app(self) -> Starlette:
        """The ASGI app; ``gate`` is Supabase's API gateway in front of Auth and Storage."""

        def gate(handler: Any, *, needs_apikey: bool = True) -> Any:
            async def wrapped(request: Request) -> Response:
                self.requests.append(
                    (request.method, request.url.path, request.headers.get("authorization"))
                )
                self.request_headers.append({k.lower(): v for k, v in request.headers.items()})
                if self.gateway_retry_after is not None:
                    # The edge's own limit: a bare 429 with Retry-After and no JSON body.
                    return Response(
                        "Too Many Requests",
                        429,
                        media_type="text/plain",
                        headers={"Retry-After": str(self.gateway_retry_after)},
                    )
                if needs_apikey and self._apikey_role(request.headers.get("apikey", "")) is None:
                    # docs api-keys: an unknown, disabled or revoked key is refused at the door.
                    return JSONResponse({"message": "Invalid API key"}, 401)
                try:
                    return await handler(request)
                except _Refusal as refusal:
                    return refusal.response

            return wrapped

        a, s = "/auth/v1", "/storage/v1/object"
        routes = [
            Route(f"{a}/signup", gate(self.signup), methods=["POST"]),
            Route(f"{a}/token", gate(self.token), methods=["POST"]),
            Route(f"{a}/logout", gate(self.logout), methods=["POST"]),
            Route(f"{a}/user", gate(self.user), methods=["GET"]),
            # docs signing-keys: the JWKS is public, no apikey needed.
            Route(f"{a}/.well-known/jwks.json", gate(self.jwks_route, needs_apikey=False)),
            Route("/storage/v1/bucket/{bucket}", gate(self.get_bucket), methods=["GET"]),
            Route(f"{s}/info/{{bucket}}/{{name:path}}", gate(self.info), methods=["GET"]),
            Route(f"{s}/sign/{{bucket}}/{{name:path}}", gate(self.sign_url), methods=["POST"]),
            Route(
                f"{s}/sign/{{bucket}}/{{name:path}}", gate(self.signed_download, needs_apikey=False)
            ),
            Route(f"{s}/{{bucket}}", gate(self.remove), methods=["DELETE"]),
            Route(f"{s}/{{bucket}}/{{name:path}}", gate(self.upload), methods=["POST"]),
            Route(f"{s}/{{bucket}}/{{name:path}}", gate(self.download), methods=["GET"]),
        ]
        return Starlette(routes=routes)


class _Refusal(Exception):
    """A ready error response raised from deep inside a handler."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__("refused")
        self.response = response


@contextmanager
def running_fake(**kwargs: Any) -> Iterator[SupabaseFake]:
    """Start a ``SupabaseFake`` on a free loopback port for the duration of the block."""
    fake = SupabaseFake(**kwargs)
    with serve(fake.app()) as base:
        fake.url = base
        yield fake
