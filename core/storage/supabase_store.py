"""Supabase Storage file store over storage3, with the signed-in user's JWT (workers: see below).

Every call builds a ``SyncStorageClient`` whose headers carry ``Authorization: Bearer <user access
token>`` and ``apikey: <anon key>``, so Supabase applies the storage policies in our migrations to
that user. The server-side key serves only a worker's read after the RLS check below and the
readiness probe's bucket check. Only the stateless HTTP pool is shared.

Workers act for the uploader without holding their access token (``worker_user``) and only
read. The store first asks Postgres, as that uploader under RLS (``user_session``), whether the
object's ``storage.objects`` row is visible: the same storage policies Storage would apply to the
uploader's JWT decide, with the uploader's memberships as they are now. Only then is that one
object fetched with the server-side key (``SUPABASE_SECRET_KEY`` ``sb_secret_...`` or the legacy
``service_role`` key). No token is minted, so it works with legacy keys, with the new keys and
after the legacy JWT secret is revoked; anything the uploader may not read stays unread.
Worker writes are refused (``InvalidToken``).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import jwt
from storage3 import SyncStorageClient
from storage3.exceptions import StorageApiError
from storage3.utils import StorageException

from core.auth.models import CurrentUser
from core.db.session import user_session
from core.db.storage_objects import object_metadata
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
from core.storage.keys import display_name, make_key, validate_key
from core.storage.port import StagedObject, StoredObject, check_size, normalise_content_type

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from storage3._sync.file_api import SyncBucketProxy

    from core.config import Settings


def translate_storage_error(exc: Exception) -> InvoiceFlowError:
    """Map storage3 / httpx exceptions to domain errors (Storage sends status codes as text)."""
    if isinstance(exc, InvoiceFlowError):
        return exc
    if isinstance(exc, StorageApiError):
        status = str(exc.status)
        code = str(exc.code or "")
        message = str(exc.message or "")
        lowered = f"{code} {message}".lower()
        if "row-level security" in lowered:
            return Forbidden("you may not change files of this client")
        # storage-api plugins/jwt.ts: a bad or expired JWT on upload, sign and delete is HTTP
        # 400 with {"statusCode": "403", "error": "Unauthorized", "message": "jwt expired"}.
        if "jwt" in lowered or status == "401" or (status == "403" and code == "Unauthorized"):
            if "expired" in lowered:
                return TokenExpired("the access token has expired; sign in again")
            return InvalidToken("Supabase Storage refused the access token")
        if code in ("NoSuchBucket", "Bucket not found"):
            return ConfigurationError(
                "the Supabase Storage bucket does not exist (create it: supabase db push)"
            )
        if status == "403" or code == "AccessDenied":
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

    def __init__(
        self,
        settings: Settings,
        *,
        http_client: httpx.Client | None = None,
        engine: Engine | None = None,
    ) -> None:
        if not settings.supabase_url or settings.supabase_anon_key is None:
            raise ConfigurationError("Supabase storage needs SUPABASE_URL and SUPABASE_ANON_KEY")
        self.bucket = settings.storage_bucket
        self._url = settings.supabase_url.rstrip("/") + "/storage/v1/"
        self._anon_key = settings.supabase_anon_key.get_secret_value()
        self._max_bytes = settings.max_upload_bytes
        self._default_ttl = settings.signed_url_ttl_seconds
        self._http = http_client or httpx.Client(timeout=httpx.Timeout(60.0, connect=5.0))
        service = settings.supabase_service_key
        self._service_key = service.get_secret_value() if service is not None else None
        self._engine = engine  # workers authorize in Postgres before a server-side read

    def _user_headers(self, user: CurrentUser) -> dict[str, str]:
        """The user's JWT (Storage applies their policies); an expired one is refused here."""
        if not user.access_token:
            raise InvalidToken("Supabase Storage needs the user's access token")
        try:
            expires = jwt.decode(user.access_token, options={"verify_signature": False}).get("exp")
        except jwt.PyJWTError as exc:
            raise InvalidToken("the access token is malformed") from exc
        # Storage treats an expired token as anonymous on downloads (a private bucket then says
        # "not found"), so tell expiry here, where the caller can still refresh.
        if isinstance(expires, int | float) and expires <= time.time():
            raise TokenExpired("the access token has expired; sign in again")
        return {"Authorization": f"Bearer {user.access_token}", "apikey": self._anon_key}

    def _service_headers(self) -> dict[str, str]:
        if not self._service_key:
            raise ConfigurationError(
                "workers read Supabase Storage with the server-side key: set SUPABASE_SECRET_KEY "
                "(sb_secret_...) or the legacy SUPABASE_SERVICE_ROLE_KEY"
            )
        if self._service_key.startswith("sb_"):
            return {"apikey": self._service_key}  # an sb_ key is never a bearer token
        return {"apikey": self._service_key, "Authorization": f"Bearer {self._service_key}"}

    def _worker_headers(self, key: str, user: CurrentUser) -> dict[str, str]:
        """Headers for a worker's read of ``key``, after the uploader's RLS check in Postgres."""
        headers = self._service_headers()
        if self._engine is None:
            raise ConfigurationError("the Supabase file store needs the database for workers")
        with user_session(self._engine, user.claims) as session:
            visible = object_metadata(session, bucket=self.bucket, name=key) is not None
        if not visible:
            raise NotFound("file not found")
        return headers

    def ping(self) -> None:
        """Readiness: Storage answers and, with the server-side key, the bucket exists."""
        headers = (
            self._service_headers()
            if self._service_key
            else {"apikey": self._anon_key, "Authorization": f"Bearer {self._anon_key}"}
        )
        try:
            response = self._http.get(
                f"{self._url}bucket/{self.bucket}", headers=headers, timeout=5.0
            )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout("Supabase Storage did not answer in 5 s") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"Supabase Storage unreachable ({type(exc).__name__})") from exc
        if response.status_code >= 500:
            raise UpstreamError(f"Supabase Storage answered HTTP {response.status_code}")
        if self._service_key and response.status_code >= 400:
            body = _json_or_empty(response)
            if body.get("statusCode") == "404" or response.status_code == 404:
                missing = f"the Supabase Storage bucket {self.bucket!r} does not exist"
                raise ConfigurationError(
                    f"{missing}: create it with supabase db push (migration "
                    "*_storage_policies.sql) or set INVOICEFLOW_STORAGE_BUCKET",
                    readiness=f"{missing} (supabase db push creates it)",
                )
            raise ConfigurationError(
                f"Supabase Storage refused the server-side key (HTTP {response.status_code})"
            )

    @contextmanager
    def _as(
        self, user: CurrentUser, headers: dict[str, str] | None = None
    ) -> Iterator[SyncBucketProxy]:
        client = SyncStorageClient(
            self._url, headers or self._user_headers(user), http_client=self._http
        )
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
        # The bare MIME type: a bucket's allowed types are matched whole, so "text/xml;
        # charset=utf-8" would be refused where "text/xml" is allowed.
        mime = normalise_content_type(content_type, filename).split(";", 1)[0].strip()
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
        """Download as the user, or for a worker after the uploader's RLS check (module doc)."""
        validate_key(key)
        headers = None if user.access_token else self._worker_headers(key, user)
        with self._as(user, headers) as bucket:
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
        try:
            headers = None if user.access_token else self._worker_headers(key, user)
        except NotFound:
            return False
        with self._as(user, headers) as bucket:
            return bucket.exists(key)

    def signed_url(self, key: str, user: CurrentUser, ttl_seconds: int | None = None) -> str:
        """An absolute signed URL minted by Supabase for this user, always a download.

        The ``download`` option puts ``?download=<name>`` on the URL, and Storage then answers
        with ``Content-Disposition: attachment``: an uploaded file is saved by the browser, never
        rendered on Storage's origin (issue 11, F2). Storage sets no CSP of its own.
        """
        validate_key(key)
        ttl = ttl_seconds if ttl_seconds is not None else self._default_ttl
        with self._as(user) as bucket:
            signed = bucket.create_signed_url(key, ttl, {"download": display_name(key)})
            url = signed.get("signedURL")
        if not url:
            raise NotFound("file not found")
        return str(url)

    def read_signed(self, url: str) -> tuple[bytes, str]:
        """Supabase Storage serves its own signed URLs: nothing to read here."""
        raise NotFound("signed URLs are served by the storage service")


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
