"""Local disk file store: ``<data_dir>/storage/<bucket>/<key>`` plus rows in ``storage.objects``.

Every operation first touches ``storage.objects`` inside the user's RLS session, so the storage
policies decide locally exactly as on Supabase: a viewer cannot upload, a non-member sees nothing.
Bytes are written atomically (temp file in the same directory, fsync, rename, fsync of the
directory) only after the row was accepted, and removed again if the transaction fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from core.auth.models import CurrentUser
from core.db.session import user_session
from core.db.storage_objects import delete_object, insert_object, object_metadata
from core.errors import (
    ConfigurationError,
    Forbidden,
    NotFound,
    StorageUnavailable,
    UpstreamError,
    ValidationFailed,
)
from core.storage.keys import make_key, validate_key
from core.storage.port import StagedObject, StoredObject, check_size, normalise_content_type
from core.storage.signed_urls import derive_signing_key, sign_url, verify_signed_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.config import Settings


class LocalFileStore:
    """``FileStore`` on local disk with metadata under RLS (see the module docstring)."""

    # ``stage`` only writes local bytes; the caller's transaction decides (and discards them).
    stages_remotely = False

    def __init__(self, engine: Engine, settings: Settings, *, root: Path | None = None) -> None:
        self.bucket = settings.storage_bucket
        self._engine = engine
        self._root = (root or settings.data_dir / "storage").expanduser().resolve()
        self._bucket_dir = self._root / self.bucket
        self._max_bytes = settings.max_upload_bytes
        self._default_ttl = settings.signed_url_ttl_seconds
        self._signing_key = derive_signing_key(settings.jwt_secret.get_secret_value())

    def put(
        self,
        client_id: uuid.UUID,
        filename: str,
        data: bytes,
        content_type: str | None,
        user: CurrentUser,
    ) -> StoredObject:
        """Write the row as the user, then the bytes atomically; undo the file on failure."""
        stored, metadata = self._describe(client_id, filename, data, content_type)
        path = self._path(stored.key)
        written = False
        try:
            with user_session(self._engine, user.claims) as session:
                insert_object(
                    session, bucket=self.bucket, name=stored.key, owner=user.id, metadata=metadata
                )
                _atomic_write(path, data)
                written = True
        except BaseException:
            if written:
                path.unlink(missing_ok=True)
            raise
        return stored

    def stage(
        self,
        client_id: uuid.UUID,
        filename: str,
        data: bytes,
        content_type: str | None,
        user: CurrentUser,
    ) -> StagedObject:
        """Write the bytes (fsynced) and hand back the row for the caller's transaction."""
        stored, metadata = self._describe(client_id, filename, data, content_type)
        _atomic_write(self._path(stored.key), data)
        row = {
            "bucket_id": self.bucket,
            "name": stored.key,
            "owner": str(user.id),
            "metadata": metadata,
            "version": metadata["eTag"],
        }
        return StagedObject(stored, row)

    def discard(self, key: str, user: CurrentUser) -> None:
        """Remove staged bytes whose ``storage.objects`` row was never committed."""
        self._path(key).unlink(missing_ok=True)

    def _describe(
        self, client_id: uuid.UUID, filename: str, data: bytes, content_type: str | None
    ) -> tuple[StoredObject, dict[str, object]]:
        check_size(data, self._max_bytes)
        stored = StoredObject(
            key=make_key(client_id, filename),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=normalise_content_type(content_type, filename),
            bucket=self.bucket,
        )
        metadata: dict[str, object] = {
            "size": stored.size,
            "contentLength": stored.size,
            "mimetype": stored.content_type,
            "sha256": stored.sha256,
            "eTag": f'"{stored.sha256}"',
            "cacheControl": "max-age=3600",
        }
        return stored, metadata

    def get(self, key: str, user: CurrentUser) -> bytes:
        """Read the bytes if the user may see the row; check them against the recorded hash."""
        path = self._path(key)
        with user_session(self._engine, user.claims) as session:
            metadata = object_metadata(session, bucket=self.bucket, name=key)
        if metadata is None:
            raise NotFound("file not found")
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound("file not found (its bytes are missing from local storage)") from exc
        expected = metadata.get("sha256")
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise UpstreamError("the stored file failed its integrity check", key=key)
        return data

    def delete(self, key: str, user: CurrentUser) -> None:
        """Delete the row as the user (policies decide), then the bytes."""
        path = self._path(key)
        with user_session(self._engine, user.claims) as session:
            if object_metadata(session, bucket=self.bucket, name=key) is None:
                raise NotFound("file not found")
            if not delete_object(session, bucket=self.bucket, name=key):
                raise Forbidden("you may not delete files of this client")
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)

    def ping(self) -> None:
        """Readiness: the bucket directory exists (or can be made) and takes a file."""
        try:
            self._bucket_dir.mkdir(parents=True, exist_ok=True)
            probe = self._bucket_dir / f".ready-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ConfigurationError(
                f"local storage under {self._root} is not writable ({type(exc).__name__})"
            ) from exc

    def exists(self, key: str, user: CurrentUser) -> bool:
        """True if the row is visible to the user and the bytes are on disk."""
        path = self._path(key)
        with user_session(self._engine, user.claims) as session:
            visible = object_metadata(session, bucket=self.bucket, name=key) is not None
        return visible and path.is_file()

    def signed_url(self, key: str, user: CurrentUser, ttl_seconds: int | None = None) -> str:
        """A relative ``/storage/v1/object/sign/...`` URL, checked against the user's rights."""
        self._path(key)
        with user_session(self._engine, user.claims) as session:
            metadata = object_metadata(session, bucket=self.bucket, name=key)
        if metadata is None:
            raise NotFound("file not found")
        content_type = str(metadata.get("mimetype") or "application/octet-stream")
        ttl = ttl_seconds if ttl_seconds is not None else self._default_ttl
        return sign_url(self._signing_key, self.bucket, key, content_type, ttl)

    def verify_signed_url(self, url: str) -> tuple[str, str]:
        """Check a URL from ``signed_url``; return ``(key, content_type)``."""
        bucket, key, content_type = verify_signed_url(self._signing_key, url)
        if bucket != self.bucket:
            raise ValidationFailed("this link is for another bucket")
        return key, content_type

    def read_signed(self, url: str) -> tuple[bytes, str]:
        """Serve a signed URL: the signature is the permission, no user session is needed."""
        key, content_type = self.verify_signed_url(url)
        try:
            return self._path(key).read_bytes(), content_type
        except FileNotFoundError as exc:
            raise NotFound("file not found") from exc

    def _path(self, key: str) -> Path:
        path = (self._bucket_dir / validate_key(key)).resolve()
        # Belt and braces: validate_key already excludes every way out of the bucket directory.
        if not path.is_relative_to(self._bucket_dir):
            raise ValidationFailed("not a valid file key")
        return path


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` atomically; an unwritable or full disk is ``StorageUnavailable``."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        # errno only: the path would tell a caller where our disk is.
        raise StorageUnavailable(
            f"the file store cannot take the file right now ({exc.strerror or type(exc).__name__})"
        ) from exc
    except BaseException:
        _remove(tmp)
        raise
    _fsync_dir(path.parent)


def _remove(tmp: Path | None) -> None:
    if tmp is not None:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not supported on every platform, hence best effort.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
