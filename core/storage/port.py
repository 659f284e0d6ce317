"""The file store port: where uploaded invoice files live, per client, under the user's rights."""

from __future__ import annotations

import mimetypes
import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from core.auth.models import CurrentUser
from core.errors import EmptyDocument, TooLarge, ValidationFailed

DEFAULT_CONTENT_TYPE = "application/octet-stream"
_MIME_PART = r"[a-z0-9!#$&^_.+-]+"
_CONTENT_TYPE = re.compile(
    rf"^{_MIME_PART}/{_MIME_PART}(\s*;\s*{_MIME_PART}=(\"[^\"\r\n]*\"|[^;\s\"]+))*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StoredObject:
    """What was stored: the key to find it again and the facts recorded at write time."""

    key: str
    size: int
    sha256: str
    content_type: str
    bucket: str = "invoices"


@dataclass(frozen=True)
class StagedObject:
    """Bytes already stored by ``FileStore.stage``, waiting for the caller's transaction."""

    stored: StoredObject
    row: dict[str, Any] | None = None  # storage.objects row to insert there, if the store keeps one


@runtime_checkable
class FileStore(Protocol):
    """Put, get, delete and share files, always as ``user`` (never with elevated rights).

    Implementations: ``core.storage.local_store.LocalFileStore`` (disk + ``storage.objects``
    rows under RLS) and ``core.storage.supabase_store.SupabaseFileStore`` (Supabase Storage with
    the user's JWT). Both enforce the same storage policies: members of the client read, owners
    and operators write and delete, everyone else gets ``Forbidden`` or ``NotFound``.
    Keys are made by ``core.storage.keys.make_key``; any other key is refused with
    ``ValidationFailed`` before it reaches a path or URL.
    """

    bucket: str
    # True when the store sees the bytes before our database sees the upload (Supabase Storage):
    # the upload then asks the database for the caller's right first, once per upload.
    stages_remotely: bool

    def put(
        self,
        client_id: uuid.UUID,
        filename: str,
        data: bytes,
        content_type: str | None,
        user: CurrentUser,
    ) -> StoredObject:
        """Store ``data`` under a fresh key for ``client_id``; the content type is always set."""
        ...

    def stage(
        self,
        client_id: uuid.UUID,
        filename: str,
        data: bytes,
        content_type: str | None,
        user: CurrentUser,
    ) -> StagedObject:
        """Store the bytes now; the caller's own transaction records them.

        A store that keeps its metadata in our database (the local one) returns the
        ``storage.objects`` row for that transaction to insert, so the file and the caller's
        rows commit together; if the transaction does not commit, the caller calls ``discard``.
        """
        ...

    def discard(self, key: str, user: CurrentUser) -> None:
        """Remove staged bytes whose recording transaction did not commit."""
        ...

    def get(self, key: str, user: CurrentUser) -> bytes:
        """The bytes stored at ``key`` (``NotFound`` if absent or not visible to ``user``)."""
        ...

    def delete(self, key: str, user: CurrentUser) -> None:
        """Delete ``key`` (``NotFound`` if not visible, ``Forbidden`` if read-only for ``user``)."""
        ...

    def exists(self, key: str, user: CurrentUser) -> bool:
        """True if ``key`` exists and ``user`` may see it."""
        ...

    def signed_url(self, key: str, user: CurrentUser, ttl_seconds: int | None = None) -> str:
        """A URL that serves ``key`` without further auth until it expires."""
        ...

    def read_signed(self, url: str) -> tuple[bytes, str]:
        """Bytes and content type behind one of this store's signed URLs (path and query).

        Only a store whose signed URLs point at this API serves them (the local one); others
        raise ``NotFound`` (their URLs are served by the storage service itself).
        """
        ...

    def ping(self) -> None:
        """Raise unless the store answers (readiness probe); never touches a user's file."""
        ...


def normalise_content_type(content_type: str | None, filename: str | None = None) -> str:
    """A valid, lower-cased MIME type: the given one, else a guess from the name, else binary."""
    value = (content_type or "").strip()
    if not value:
        guessed, _ = mimetypes.guess_type(filename or "", strict=False)
        value = guessed or DEFAULT_CONTENT_TYPE
    if len(value) > 200 or not _CONTENT_TYPE.match(value):
        raise ValidationFailed("the content type is not a valid MIME type")
    kind, _, params = value.partition(";")
    return kind.strip().lower() + (";" + params if params else "")


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse empty and over-limit payloads before anything is written."""
    if not data:
        raise EmptyDocument("the file is empty")
    if len(data) > max_bytes:
        raise TooLarge(f"the file is larger than {max_bytes} bytes", size=len(data))
