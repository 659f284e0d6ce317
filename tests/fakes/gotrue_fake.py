"""GoTrue's routes for the Supabase fake (``tests/fakes/supabase_fake.py`` names the sources).

A mixin: the state (users, sessions, refresh tokens, limits, keys) lives on ``SupabaseFake``.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

API_VERSION = {"X-Supabase-Api-Version": "2024-01-01"}
MAX_PASSWORD_BYTES = 72  # GoTrue internal/api/password.go: MaxPasswordLength (bcrypt's limit)


def _now() -> float:
    return time.time()


class GoTrueRoutes:
    """Sign-up, token (password and refresh), logout, user and the JWKS, as GoTrue answers."""

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

    def _user_claims(self, request: Request) -> dict[str, Any] | str:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return "no_authorization"
        return self.verify_user_jwt(header[7:])

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
