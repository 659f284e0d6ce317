"""Local auth adapter for the embedded default: a small GoTrue stand-in over ``auth.users``.

Passwords are bcrypt hashes in ``auth.users.encrypted_password`` (as GoTrue stores them), access
tokens are HS256 JWTs with the claims Supabase issues, refresh tokens rotate on every use and are
stored as SHA-256 digests. Presenting a refresh token that was already rotated revokes the whole
session (a stolen token and its legitimate twin cannot both live on). Sign-in attempts are
counted before the password is checked, in one transaction with the check: after
``signin_max_failures`` an (e-mail, client address) pair is locked with doubling waits, while
the e-mail from all addresses together is only slowed down (doubling waits capped at
``signin_email_slowdown_max_seconds``). The counters live in the database so every process
sharing it enforces the same limits.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import bcrypt
import jwt

from core.auth.models import AuthSession, CurrentUser, SignUpResult
from core.auth.verifier import TokenVerifier
from core.db import auth_accounts as accounts
from core.errors import (
    ConfigurationError,
    InvalidCredentials,
    InvalidToken,
    RateLimited,
    RefreshTokenReused,
    SessionRevoked,
    TokenExpired,
    ValidationFailed,
    WeakPassword,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.config import Settings

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BCRYPT_MAX_BYTES = 72  # bcrypt ignores (bcrypt 5 refuses) anything longer
MAX_LOCKOUT_SECONDS = 300.0


def hash_refresh_token(token: str) -> str:
    """The digest stored in ``auth.refresh_tokens.token`` (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def client_address_key(client_ip: str | None) -> str:
    """The address a sign-in lock is keyed by: IPv4 as is, IPv6 by its /64 (one subscriber)."""
    try:
        ip = ipaddress.ip_address((client_ip or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def normalise_email(email: str) -> str:
    """Trim and lower-case an e-mail address; refuse anything that is not one."""
    value = (email or "").strip().lower()
    if len(value) > 255 or not _EMAIL.match(value):
        raise ValidationFailed("enter a valid e-mail address")
    return value


class LocalAuthProvider:
    """``AuthProvider`` over the local database (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        verifier: TokenVerifier | None = None,
        bcrypt_rounds: int = 10,
    ) -> None:
        self._engine = engine
        self._settings = settings
        secret = settings.jwt_verification_secret
        if secret is None:
            raise ConfigurationError(
                "the local auth backend needs a real INVOICEFLOW_JWT_SECRET (32+ characters) "
                "outside the embedded default"
            )
        self._secret = secret
        self._issuer = settings.effective_jwt_issuer
        self._verifier = verifier or TokenVerifier(
            issuer=self._issuer,
            audience=settings.jwt_audience,
            secret=self._secret,
            algorithms=("HS256",),
            leeway_seconds=settings.jwt_leeway_seconds,
        )
        self._rounds = bcrypt_rounds
        # Per (e-mail, address): doubling waits up to MAX_LOCKOUT_SECONDS (a lock for that
        # address only). Per e-mail from every address: doubling waits capped low, a slowdown an
        # attacker can never turn into a lock-out of the account's owner.
        self._lockout_rule = accounts.ThrottleRule(
            settings.signin_max_failures, settings.signin_slowdown_seconds, MAX_LOCKOUT_SECONDS
        )
        self._slowdown_rule = accounts.ThrottleRule(
            settings.signin_email_max_failures,
            settings.signin_slowdown_seconds,
            settings.signin_email_slowdown_max_seconds,
        )
        # Checked when the e-mail is unknown, so a miss costs as much time as a wrong password
        # (no user enumeration by timing).
        self._dummy_hash = bcrypt.hashpw(b"invoiceflow-dummy", bcrypt.gensalt(bcrypt_rounds))

    # --- port -----------------------------------------------------------------------------

    def sign_up(
        self, email: str, password: str, *, user_metadata: dict[str, Any] | None = None
    ) -> SignUpResult:
        """Create a confirmed user unless the address is taken; answer the same either way.

        Both paths hash the password and attempt one insert, so they also take about as long;
        an existing account is left untouched. The caller signs in next.
        """
        address = normalise_email(email)
        self._check_password_rules(password)
        pw_hash = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(self._rounds)).decode()
        app_metadata = {"provider": "email", "providers": ["email"]}
        with self._engine.begin() as conn:
            accounts.insert_user(  # False when the address is taken: nothing changes
                conn,
                user_id=uuid.uuid4(),
                email=address,
                password_hash=pw_hash,
                app_metadata=app_metadata,
                user_metadata=dict(user_metadata or {}),
            )
        return SignUpResult(email=address, state="sign_in")

    def sign_in(self, email: str, password: str, *, client_ip: str | None = None) -> AuthSession:
        """Check the password if the throttle allows it, and open a new session.

        The attempt is counted before the password is compared, in one transaction with the
        check (see ``auth_accounts.reserve_signin_attempt``), and taken back after a success.
        ``client_ip`` is the caller's address as the API resolves it for rate limiting.
        """
        address = normalise_email(email)
        client = client_address_key(client_ip)
        with self._engine.begin() as conn:
            wait = accounts.reserve_signin_attempt(
                conn,
                email=address,
                address=client,
                window_seconds=self._settings.signin_failure_window_seconds,
                by_address=self._lockout_rule,
                by_email=self._slowdown_rule,
            )
            if wait is not None:
                # Raising rolls the transaction back: a refused attempt is not counted.
                raise RateLimited(
                    f"too many failed sign-ins; try again in {max(wait, 1):.0f} s",
                    retry_after=wait,
                )
            account = accounts.find_user_by_email(conn, address)
        stored = account.encrypted_password if account else None
        if not self._password_matches(password, stored) or account is None:
            raise InvalidCredentials("invalid e-mail or password")
        if account.deleted_at is not None or _in_future(account.banned_until):
            raise InvalidCredentials("this account is disabled")
        with self._engine.begin() as conn:
            accounts.forgive_signin_attempt(conn, email=address, address=client)
            return self._open_session(conn, account)

    def refresh(self, refresh_token: str) -> AuthSession:
        """Rotate a refresh token; a reused one revokes its whole session."""
        if not refresh_token:
            raise InvalidToken("no refresh token given")
        digest = hash_refresh_token(refresh_token)
        reused_session: uuid.UUID | None = None
        with self._engine.begin() as conn:
            row = accounts.lock_refresh_token(conn, digest)
            if row is None or row.session_id is None:
                raise InvalidToken("refresh token not found")
            if not row.session_exists:
                raise SessionRevoked("this session was signed out; sign in again")
            if row.revoked:
                accounts.delete_session(conn, row.session_id)
                reused_session = row.session_id
                self._verifier.forget_session(str(row.session_id))
            else:
                not_after = row.session_not_after
                if not_after is not None and not_after <= datetime.now(timezone.utc):
                    raise TokenExpired("the session has expired; sign in again")
                account = accounts.find_user_by_id(conn, row.user_id)
                if account is None or account.deleted_at or _in_future(account.banned_until):
                    raise SessionRevoked("this account is no longer active")
                accounts.revoke_refresh_token(conn, row.id, row.session_id)
                return self._issue(conn, account, row.session_id, parent=digest)
        # Committed above: the revocation must survive the error we raise now.
        raise RefreshTokenReused(
            "refresh token already used; the session was revoked, sign in again",
            session_id=str(reused_session),
        )

    def sign_out(self, access_token: str) -> None:
        """Revoke the token's session; signing out twice is not an error."""
        try:
            user = self._verifier.current_user(access_token)
        except SessionRevoked:
            return  # already signed out (or revoked): nothing left to revoke
        session_id = _session_uuid(user)
        with self._engine.begin() as conn:
            accounts.delete_session(conn, session_id)
        self._verifier.forget_session(str(session_id))

    def sign_out_everywhere(self, access_token: str) -> None:
        """Revoke every session of the token's user (all devices)."""
        try:
            user = self._verifier.current_user(access_token)
        except SessionRevoked:
            return
        with self._engine.begin() as conn:
            revoked = accounts.delete_user_sessions(conn, user.id)
        for session_id in revoked:
            self._verifier.forget_session(session_id)

    def get_user(self, access_token: str) -> CurrentUser:
        """Verify the token and check, in the database now, that its session is still live."""
        user = self._verifier.current_user(access_token)
        with self._engine.connect() as conn:
            reason = accounts.session_revocation(
                conn, session_id=_session_uuid(user), user_id=user.id
            )
        if reason is not None:
            self._verifier.forget_session(user.session_id)
            raise SessionRevoked(reason)
        return user

    # --- helpers --------------------------------------------------------------------------

    def _check_password_rules(self, password: str) -> None:
        minimum = self._settings.password_min_length
        if len(password or "") < minimum:
            raise WeakPassword(f"the password must have at least {minimum} characters")
        if len(password.encode("utf-8")) > BCRYPT_MAX_BYTES:
            raise WeakPassword(f"the password must fit in {BCRYPT_MAX_BYTES} bytes")

    def _password_matches(self, password: str, stored: str | None) -> bool:
        candidate = (password or "").encode("utf-8")
        if len(candidate) > BCRYPT_MAX_BYTES:
            return False
        try:
            ok = bcrypt.checkpw(candidate, stored.encode() if stored else self._dummy_hash)
        except ValueError:  # a malformed stored hash is a failed sign-in, not a crash
            return False
        return ok and stored is not None

    def _open_session(self, conn: Any, account: accounts.AccountRow) -> AuthSession:
        session_id = uuid.uuid4()
        lifetime = timedelta(seconds=self._settings.refresh_token_ttl_seconds)
        accounts.create_session(
            conn,
            session_id=session_id,
            user_id=account.id,
            not_after=datetime.now(timezone.utc) + lifetime,
        )
        return self._issue(conn, account, session_id, parent=None)

    def _issue(
        self, conn: Any, account: accounts.AccountRow, session_id: uuid.UUID, *, parent: str | None
    ) -> AuthSession:
        refresh_token = secrets.token_urlsafe(32)
        accounts.insert_refresh_token(
            conn,
            token_hash=hash_refresh_token(refresh_token),
            user_id=account.id,
            session_id=session_id,
            parent=parent,
        )
        now = int(time.time())
        exp = now + self._settings.access_token_ttl_seconds
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "sub": str(account.id),
            "aud": self._settings.jwt_audience,
            "exp": exp,
            "iat": now,
            "email": account.email,
            "phone": "",
            "app_metadata": account.app_metadata,
            "user_metadata": account.user_metadata,
            "role": "authenticated",
            "aal": "aal1",
            "amr": [{"method": "password" if parent is None else "token", "timestamp": now}],
            "session_id": str(session_id),
            "is_anonymous": False,
        }
        token = jwt.encode(claims, self._secret, algorithm="HS256", headers={"typ": "JWT"})
        user = CurrentUser(
            id=account.id,
            email=account.email,
            role="authenticated",
            claims=claims,
            access_token=token,
        )
        return AuthSession(
            access_token=token, refresh_token=refresh_token, expires_at=exp, user=user
        )


def _in_future(moment: datetime | None) -> bool:
    return moment is not None and moment > datetime.now(timezone.utc)


def _session_uuid(user: CurrentUser) -> uuid.UUID:
    try:
        return uuid.UUID(str(user.claims.get("session_id")))
    except ValueError as exc:
        raise InvalidToken("token carries no session id") from exc
