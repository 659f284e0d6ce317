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

from tests.fakes.gotrue_fake import GoTrueRoutes
from tests.fakes.http_server import serve
from tests.fakes.storage_fake import Bucket, StorageRoutes, _Refusal

KeySetup = Literal["legacy", "new", "revoked"]


def _now() -> float:
    return time.time()


@dataclass
class SupabaseFake(GoTrueRoutes, StorageRoutes):
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


@contextmanager
def running_fake(**kwargs: Any) -> Iterator[SupabaseFake]:
    """Start a ``SupabaseFake`` on a free loopback port for the duration of the block."""
    fake = SupabaseFake(**kwargs)
    with serve(fake.app()) as base:
        fake.url = base
        yield fake
