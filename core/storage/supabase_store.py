"""Supabase Storage file store over storage3, always with the signed-in user's JWT.

Every call builds a ``SyncStorageClient`` whose headers carry ``Authorization: Bearer <user access
token>`` and ``apikey: <anon key>``, so Supabase applies the storage policies in our migrations to
that user; the service key is never used here. Only the stateless HTTP pool is shared.

Workers act for the uploader without holding their access token (``worker_user``). For them the
store signs a 60-second token for that same user with the project's JWT secret, exactly the kind
of token Supabase Auth issues, so Storage still applies the user's policies (no service role).
Without a project secret (JWKS-only projects) such calls are refused with ``InvalidToken``.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx
import jwt
from storage3 import SyncStorageClient
from storage3.exceptions import StorageApiError
from storage3.utils import StorageException

from core.auth.models import CurrentUser
from core.config import DEV_JWT_SECRET
from core.errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidToken,
    InvoiceFlowError,
    NotFound,
    RateLimited,
    TokenExpired,
    TooLarge,
    UnsupportedType,
    UpstreamError,
    UpstreamTimeout,
    ValidationFailed,
)
from core.storage.keys import make_key, validate_key
from core.storage.port import StagedObject, StoredObject, check_size, normalise_content_type

if TYPE_CHECKING:
    from storage3._sync.file_api import SyncBucketProxy

    from core.config import Settings

WORKER_TOKEN_TTL_SECONDS = 60


def translate_storage_error(exc: Exception) -> InvoiceFlowError:
    """Map storage3 / httpx exceptions to domain errors (Storage sends status codes as text)."""
    if isinstance(exc, InvoiceFlowError):
        return exc
    if isinstance(exc, StorageApiError):
        status = str(exc.status)
        code = str(exc.code or "")
        message = str(exc.message or "")
        lowered = f"{code} {message}".lower()
        if "jwt" in lowered or status == "401":
            if "exp" in lowered:
                return TokenExpired("the access token has expired; sign in again")
            return InvalidToken("Supabase Storage refused the access token")
        if "row-level security" in lowered or status == "403" or code == "AccessDenied":
            return Forbidden("you may not change files of this client")
        if status == "404" or code in ("not_found", "NoSuchKey", "NoSuchBucket"):
            return NotFound("file not found")
        if status == "409" or code in ("Duplicate", "ResourceAlreadyExists"):
            return Conflict("a file with this key already exists")
        if status == "413" or code in ("EntityTooLarge", "Payload too large"):
            return TooLarge("the file is larger than the bucket allows")
        if status == "415" or code == "InvalidMimeType":
            return UnsupportedType("the bucket does not accept this content type")
        if status == "429":
            return RateLimited("too many requests to Supabase Storage", retry_after=5)
        if code in ("InvalidKey", "InvalidRequest"):
            return ValidationFailed("Supabase Storage refused the file key")
        return UpstreamError(f"Supabase Storage failed ({status} {code})")
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout("Supabase Storage did not answer in time")
    if isinstance(exc, httpx.HTTPError):
        return UpstreamError(f"Supabase Storage is unreachable: {exc}")
    if isinstance(exc, StorageException):
        return UpstreamError(f"Supabase Storage error: {exc}")
    if isinstance(exc, ValueError):
        return ValidationFailed("not a valid file key")
    return UpstreamError(f"unexpected answer from Supabase Storage: {type(exc).__name__}")


class SupabaseFileStore:
    """``FileStore`` on Supabase Storage (see the module docstring)."""

    stages_remotely = True  # Storage sees the bytes before our database sees the upload

    def __init__(self, settings: Settings, *, http_client: httpx.Client | None = None) -> None:
        if not settings.supabase_url or settings.supabase_anon_key is None:
            raise ConfigurationError("Supabase storage needs SUPABASE_URL and SUPABASE_ANON_KEY")
        self.bucket = settings.storage_bucket
        self._url = settings.supabase_url.rstrip("/") + "/storage/v1/"
        self._anon_key = settings.supabase_anon_key.get_secret_value()
        self._max_bytes = settings.max_upload_bytes
        self._default_ttl = settings.signed_url_ttl_seconds
        self._http = http_client or httpx.Client(timeout=httpx.Timeout(60.0, connect=5.0))
        secret = settings.jwt_secret.get_secret_value()
        self._project_secret = secret if secret and secret != DEV_JWT_SECRET else None
        self._issuer = settings.effective_jwt_issuer
        self._audience = settings.jwt_audience

    def _token_for(self, user: CurrentUser) -> str:
        if user.access_token:
            return user.access_token
        if self._project_secret is None:
            raise InvalidToken("Supabase Storage needs the user's access token")
        now = int(time.time())
        claims = {
            "sub": str(user.id),
            "role": "authenticated",
            "aud": self._audience,
            "iss": self._issuer,
            "iat": now,
            "exp": now + WORKER_TOKEN_TTL_SECONDS,
            "email": user.email or "",
        }
        return jwt.encode(claims, self._project_secret, algorithm="HS256")

    def ping(self) -> None:
        """Readiness: Supabase Storage answers (any non-5xx; the bucket itself is private)."""
        try:
            response = self._http.get(
                f"{self._url}bucket/{self.bucket}",
                headers={"apikey": self._anon_key, "Authorization": f"Bearer {self._anon_key}"},
                timeout=5.0,
            )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout("Supabase Storage did not answer in 5 s") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"Supabase Storage unreachable ({type(exc).__name__})") from exc
        if response.status_code >= 500:
            raise UpstreamError(f"Supabase Storage answered HTTP {response.status_code}")

    @contextmanager
    def _as(self, user: CurrentUser) -> Iterator[SyncBucketProxy]:
        headers = {"Authorization": f"Bearer {self._token_for(user)}", "apikey": self._anon_key}
        client = SyncStorageClient(self._url, headers, http_client=self._http)
        try:
            yield client.from_(self.bucket)
        except InvoiceFlowError:
            raise
        except Exception as exc:
            raise translate_storage_error(exc) from exc

    def put(
        self,
        client_id: uuid.UUID,
        filename: str,
        data: bytes,
        content_type: str | None,
        user: CurrentUser,
    ) -> StoredObject:
        """Upload under a fresh key with an explicit content type (never storage3's default)."""
        check_size(data, self._max_bytes)
        key = make_key(client_id, filename)
        mime = normalise_content_type(content_type, filename)
        with self._as(user) as bucket:
            bucket.upload(key, data, {"content-type": mime, "cache-control": "3600"})
        return StoredObject(
            key=key,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=mime,
            bucket=self.bucket,
        )

    def get(self, key: str, user: CurrentUser) -> bytes:
        """Download as the user."""
        validate_key(key)
        with self._as(user) as bucket:
            return bucket.download(key)

    def delete(self, key: str, user: CurrentUser) -> None:
        """Delete as the user: ``NotFound`` if invisible, ``Forbidden`` if visible but read-only."""
        if not self.exists(key, user):
            raise NotFound("file not found")
        with self._as(user) as bucket:
            removed = bucket.remove([key])
        if not removed:
            raise Forbidden("you may not delete files of this client")

    def stage(
        self,
        client_id: uuid.UUID,
        filename: str,
        data: bytes,
        content_type: str | None,
        user: CurrentUser,
    ) -> StagedObject:
        """Upload now: Supabase Storage records the object itself, so there is no row to pass."""
        return StagedObject(self.put(client_id, filename, data, content_type, user))

    def discard(self, key: str, user: CurrentUser) -> None:
        """Remove an upload whose database rows were rolled back (Storage kept the object)."""
        with self._as(user) as bucket:
            bucket.remove([validate_key(key)])

    def exists(self, key: str, user: CurrentUser) -> bool:
        """True if Storage reports the object to this user."""
        validate_key(key)
        with self._as(user) as bucket:
            return bucket.exists(key)

    def signed_url(self, key: str, user: CurrentUser, ttl_seconds: int | None = None) -> str:
        """An absolute signed URL minted by Supabase for this user."""
        validate_key(key)
        ttl = ttl_seconds if ttl_seconds is not None else self._default_ttl
        with self._as(user) as bucket:
            url = bucket.create_signed_url(key, ttl).get("signedURL")
        if not url:
            raise NotFound("file not found")
        return str(url)
