"""A loopback HTTP fake of the Supabase endpoints our adapters call (GoTrue + Storage).

It is a real HTTP server (Starlette under uvicorn on 127.0.0.1) that speaks the request and error
shapes supabase-py sends and parses: ``/auth/v1/signup``, ``/token?grant_type=password|
refresh_token``, ``/logout``, ``/user``; ``/storage/v1/object/...``, ``/object/info/...``,
``/object/sign/...``. It enforces the ``apikey`` header and the Bearer JWT (HS256, test secret),
rotates refresh tokens with reuse detection, and applies the same storage rule as our migrations:
members of the client in the key's first folder read, owners and operators write and delete.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.http_server import serve

API_VERSION = {"X-Supabase-Api-Version": "2024-01-01"}
WRITERS = {"owner", "operator"}


@dataclass
class SupabaseFake:
    """State and routes of the fake; ``url`` is set while it is served."""

    anon_key: str = "fake-anon-key"
    jwt_secret: str = "fake-supabase-jwt-secret-0123456789-abcdefgh"
    confirm_email: bool = False
    url: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> user
    sessions: dict[str, str] = field(default_factory=dict)  # session id -> user id
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # client -> user -> role
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return self.url + "/auth/v1"

    def add_member(self, client_id: uuid.UUID | str, user_id: uuid.UUID | str, role: str) -> None:
        self.members.setdefault(str(client_id), {})[str(user_id)] = role

    # --- helpers ------------------------------------------------------------------------

    def _user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": user["id"], "aud": "authenticated", "role": "authenticated",
            "email": user["email"], "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": user["meta"], "created_at": user["created_at"],
            "email_confirmed_at": None if self.confirm_email else user["created_at"],
        }  # fmt: skip

    def access_token(self, user: dict[str, Any], session_id: str, ttl: int = 3600) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": user["id"], "aud": "authenticated", "exp": now + ttl,
            "iat": now, "email": user["email"], "role": "authenticated", "aal": "aal1",
            "session_id": session_id, "app_metadata": {"provider": "email"},
            "user_metadata": user["meta"], "is_anonymous": False,
        }  # fmt: skip
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256", headers={"kid": "fake"})

    def _session(self, user: dict[str, Any], session_id: str | None = None) -> JSONResponse:
        sid = session_id or str(uuid.uuid4())
        self.sessions[sid] = user["id"]
        refresh = secrets.token_urlsafe(16)
        self.refresh_tokens[refresh] = {"session": sid, "revoked": False}
        token = self.access_token(user, sid)
        body = {
            "access_token": token, "token_type": "bearer", "expires_in": 3600,
            "expires_at": int(time.time()) + 3600, "refresh_token": refresh,
            "user": self._user_json(user),
        }  # fmt: skip
        return JSONResponse(body, headers=API_VERSION)

    @staticmethod
    def _auth_error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
        return JSONResponse({"code": code, "message": message, **extra}, status, API_VERSION)

    @staticmethod
    def _storage_error(status: str, error: str, message: str) -> JSONResponse:
        http_status = 404 if status == "404" and error == "not_found" else 400
        return JSONResponse({"statusCode": status, "error": error, "message": message}, http_status)

    def _claims(self, request: Request) -> dict[str, Any] | str:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return "no_authorization"
        try:
            return jwt.decode(
                header[7:], self.jwt_secret, algorithms=["HS256"], audience="authenticated",
                issuer=self.issuer,
            )  # fmt: skip
        except jwt.ExpiredSignatureError:
            return "jwt expired"
        except jwt.PyJWTError:
            return "invalid signature"

    def _role(self, claims: dict[str, Any], name: str) -> str | None:
        return self.members.get(name.split("/", 1)[0], {}).get(str(claims.get("sub")))

    # --- GoTrue -------------------------------------------------------------------------

    async def signup(self, request: Request) -> Response:
        body = await request.json()
        email, password = str(body.get("email", "")).lower(), str(body.get("password", ""))
        if len(password) < 6:
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
                }
                return JSONResponse(
                    {**self._user_json(obfuscated), "identities": []}, headers=API_VERSION
                )
            return self._auth_error(422, "user_already_exists", "User already registered")
        user = {"id": str(uuid.uuid4()), "email": email, "password": password,
                "meta": body.get("data") or {},
                "created_at": datetime.now(timezone.utc).isoformat()}  # fmt: skip
        self.users[email] = user
        if self.confirm_email:
            return JSONResponse(self._user_json(user), headers=API_VERSION)
        return self._session(user)

    async def token(self, request: Request) -> Response:
        body = await request.json()
        grant = request.query_params.get("grant_type")
        if grant == "password":
            user = self.users.get(str(body.get("email", "")).lower())
            if user is None or user["password"] != body.get("password"):
                return self._auth_error(400, "invalid_credentials", "Invalid login credentials")
            return self._session(user)
        if grant == "refresh_token":
            entry = self.refresh_tokens.get(str(body.get("refresh_token", "")))
            if entry is None:
                return self._auth_error(
                    400, "refresh_token_not_found", "Invalid Refresh Token: Not Found"
                )
            if entry["session"] not in self.sessions:
                return self._auth_error(404, "session_not_found", "Session not found")
            if entry["revoked"]:
                self.sessions.pop(entry["session"], None)  # reuse: revoke the whole session
                return self._auth_error(
                    400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"
                )
            entry["revoked"] = True
            user_id = self.sessions[entry["session"]]
            user = next(u for u in self.users.values() if u["id"] == user_id)
            return self._session(user, entry["session"])
        return self._auth_error(400, "validation_failed", "unsupported grant_type")

    async def logout(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, str):
            return self._auth_error(401, "bad_jwt", claims)
        if request.query_params.get("scope", "global") == "global":
            for sid in [s for s, u in self.sessions.items() if u == claims["sub"]]:
                self.sessions.pop(sid)
        else:
            self.sessions.pop(str(claims.get("session_id")), None)
        return Response(status_code=204)

    async def user(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, str):
            return self._auth_error(401, "bad_jwt", claims)
        if str(claims.get("session_id")) not in self.sessions:
            return self._auth_error(403, "session_not_found", "Session from session_id claim in "
                                    "JWT does not exist")  # fmt: skip
        user = next(u for u in self.users.values() if u["id"] == claims["sub"])
        return JSONResponse(self._user_json(user), headers=API_VERSION)

    # --- Storage ------------------------------------------------------------------------

    def _storage_caller(self, request: Request) -> dict[str, Any] | Response:
        if request.headers.get("apikey") != self.anon_key:
            return self._storage_error("400", "Unauthorized", "invalid apikey")
        claims = self._claims(request)
        if isinstance(claims, str):
            return self._storage_error("400", "InvalidJWT", claims)
        return claims

    async def upload(self, request: Request) -> Response:
        claims = self._storage_caller(request)
        if isinstance(claims, Response):
            return claims
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        if self._role(claims, name) not in WRITERS:
            return self._storage_error("403", "Unauthorized",
                                       "new row violates row-level security policy")  # fmt: skip
        if (bucket, name) in self.objects and request.headers.get("x-upsert") != "true":
            return self._storage_error("409", "Duplicate", "The resource already exists")
        form = await request.form()
        part = form["file"]
        data = await part.read()  # type: ignore[union-attr]
        content_type = part.content_type  # type: ignore[union-attr]
        obj = {"data": data, "content_type": content_type, "owner": claims["sub"]}
        self.objects[(bucket, name)] = {**obj, "id": str(uuid.uuid4())}
        return JSONResponse({"Key": f"{bucket}/{name}", "Id": self.objects[(bucket, name)]["id"]})

    def _visible(self, claims: dict[str, Any], bucket: str, name: str) -> dict[str, Any] | None:
        obj = self.objects.get((bucket, name))
        return obj if obj is not None and self._role(claims, name) is not None else None

    async def download(self, request: Request) -> Response:
        claims = self._storage_caller(request)
        if isinstance(claims, Response):
            return claims
        obj = self._visible(claims, request.path_params["bucket"], request.path_params["name"])
        if obj is None:
            return self._storage_error("404", "not_found", "Object not found")
        return Response(obj["data"], media_type=obj["content_type"])

    async def info(self, request: Request) -> Response:
        claims = self._storage_caller(request)
        if isinstance(claims, Response):
            return claims
        name = request.path_params["name"]
        obj = self._visible(claims, request.path_params["bucket"], name)
        if obj is None:
            return self._storage_error("404", "not_found", "Object not found")
        return JSONResponse({"id": obj["id"], "name": name, "size": len(obj["data"]),
                             "content_type": obj["content_type"]})  # fmt: skip

    async def remove(self, request: Request) -> Response:
        claims = self._storage_caller(request)
        if isinstance(claims, Response):
            return claims
        bucket = request.path_params["bucket"]
        removed = []
        for name in (await request.json()).get("prefixes", []):
            if self._visible(claims, bucket, name) and self._role(claims, name) in WRITERS:
                self.objects.pop((bucket, name))
                removed.append({"name": name, "bucket_id": bucket})
        return JSONResponse(removed)

    async def sign(self, request: Request) -> Response:
        claims = self._storage_caller(request)
        if isinstance(claims, Response):
            return claims
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        if self._visible(claims, bucket, name) is None:
            return self._storage_error("404", "not_found", "Object not found")
        expires_in = int((await request.json())["expiresIn"])
        now = int(time.time())
        token = jwt.encode({"url": f"{bucket}/{name}", "iat": now, "exp": now + expires_in},
                           self.jwt_secret, algorithm="HS256")  # fmt: skip
        return JSONResponse({"signedURL": f"/object/sign/{bucket}/{name}?token={token}"})

    async def signed_download(self, request: Request) -> Response:
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        try:
            claims = jwt.decode(request.query_params.get("token", ""), self.jwt_secret,
                                algorithms=["HS256"])  # fmt: skip
        except jwt.ExpiredSignatureError:
            return self._storage_error("400", "InvalidJWT", "jwt expired")
        except jwt.PyJWTError:
            return self._storage_error("400", "InvalidJWT", "invalid signature")
        obj = self.objects.get((bucket, name))
        if claims.get("url") != f"{bucket}/{name}" or obj is None:
            return self._storage_error("404", "not_found", "Object not found")
        return Response(obj["data"], media_type=obj["content_type"])

    def app(self) -> Starlette:
        """The ASGI app; the apikey check on auth routes mirrors Supabase's API gateway."""

        def gate(handler: Any) -> Any:
            async def wrapped(request: Request) -> Response:
                self.requests.append((request.method, request.url.path,
                                      request.headers.get("authorization")))  # fmt: skip
                if request.url.path.startswith("/auth/") and (
                    request.headers.get("apikey") != self.anon_key
                ):
                    return JSONResponse({"message": "Invalid API key"}, 401)
                return await handler(request)

            return wrapped

        a, s = "/auth/v1", "/storage/v1/object"
        routes = [
            Route(f"{a}/signup", gate(self.signup), methods=["POST"]),
            Route(f"{a}/token", gate(self.token), methods=["POST"]),
            Route(f"{a}/logout", gate(self.logout), methods=["POST"]),
            Route(f"{a}/user", gate(self.user), methods=["GET"]),
            Route(f"{s}/info/{{bucket}}/{{name:path}}", gate(self.info), methods=["GET"]),
            Route(f"{s}/sign/{{bucket}}/{{name:path}}", gate(self.sign), methods=["POST"]),
            Route(f"{s}/sign/{{bucket}}/{{name:path}}", gate(self.signed_download)),
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
