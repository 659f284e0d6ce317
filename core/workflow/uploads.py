"""Upload one or many files: sniff, limit, hash, store once per client, create invoices, enqueue.

Each file succeeds or fails on its own (a bad file never loses the rest of the batch). An identical
file (same SHA-256) already stored for the client is reported as a duplicate with the existing
invoice id, not stored twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import tenant_repo, upload_repo
from core.db.session import user_session
from core.errors import (
    Conflict,
    DuplicateFile,
    Forbidden,
    InvoiceFlowError,
    NotFound,
    StorageUnavailable,
    TooLarge,
    TooManyPages,
    ValidationFailed,
)
from core.extraction.document import XML, image_frame_count, pdf_page_count, sniff_media_type
from core.extraction.einvoice_xml import check_invoice_xml
from core.storage.keys import safe_display_name
from core.storage.port import StoredObject
from core.workflow.access import WRITERS, require_role
from core.workflow.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadFile:
    """One file as received: the name the user gave and the bytes."""

    filename: str
    data: bytes
    rejected: InvoiceFlowError | None = None  # refused while receiving (e.g. over the size limit)


@dataclass
class FileOutcome:
    """What happened to one file of an upload."""

    filename: str
    status: str  # "accepted" | "duplicate" | "rejected"
    invoice_id: uuid.UUID | None = None
    file_id: uuid.UUID | None = None
    sha256: str | None = None
    size: int = 0
    content_type: str | None = None
    error_code: str | None = None
    error: str | None = None


@dataclass
class UploadResult:
    """The batch and one outcome per file, in upload order."""

    batch_id: uuid.UUID | None
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(f.status == "accepted" for f in self.files)


def display_name(filename: str | None) -> str:
    """The user's file name made safe to store and show (``keys.safe_display_name``): last path
    component only, no control or bidi characters, at most 255 characters."""
    return safe_display_name(filename)


def _check_pages(data: bytes, media_type: str, max_pages: int) -> int:
    """The file's page count (PDF pages, TIFF frames, 1 for other images, 0 for XML)."""
    if media_type == XML:
        return 0
    if media_type != "application/pdf":
        return image_frame_count(data)
    pages = pdf_page_count(data)  # under the process-wide PDFium lock: uploads run in threads
    if pages > max_pages:
        raise TooManyPages(f"the PDF has {pages} pages; the limit is {max_pages}", pages=pages)
    return pages


def upload_files(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    files: Sequence[UploadFile],
    batch_name: str | None = None,
    process: bool = True,
) -> UploadResult:
    """Store each file for ``client_id``, create its invoice in ``received`` and enqueue it.

    One transaction per file records everything about it: the storage row, the file, the
    invoice, its audit event and its processing job (and, with the first file that gets through,
    the batch), the database part in one call of ``public.record_upload``. A file commits or
    fails on its own; a one-file upload costs one commit.
    """
    settings = services.settings
    if not files:
        raise ValidationFailed("no files were sent")
    if len(files) > settings.max_files_per_upload:
        raise TooLarge(
            f"at most {settings.max_files_per_upload} files per upload",
            limit=settings.max_files_per_upload,
        )
    batch = _Batch(uuid.uuid4(), client_id, batch_name, len(files))
    result = UploadResult(batch_id=batch.id)
    for f in files:
        name = display_name(f.filename)
        outcome = FileOutcome(filename=name, status="rejected", size=len(f.data))
        result.files.append(outcome)
        try:
            _store_one(services, user, batch, f, outcome, process=process)
        except _AccessDenied as exc:  # not a per-file problem: the caller may not upload here
            raise exc.error from None
        except DuplicateFile as exc:
            outcome.status, outcome.error_code, outcome.error = "duplicate", exc.code, exc.message
            outcome.invoice_id = exc.details.get("invoice_id")
        except InvoiceFlowError as exc:
            outcome.error_code, outcome.error = exc.code, exc.message
    if all(o.error_code == StorageUnavailable.code for o in result.files):
        # Nothing could be stored, for no fault of the files: the whole request is a 503.
        raise StorageUnavailable(
            "the file store cannot take files right now; try again later",
            files=len(result.files),
        )
    if not batch.saved:  # nothing got through: the batch is still recorded, already done
        try:
            with user_session(services.engine, user.claims) as s:
                batch.save(s, status="done")
        except _AccessDenied as exc:
            raise exc.error from None
    return result


@dataclass
class _Batch:
    """The upload's batch, written by the first transaction that commits."""

    id: uuid.UUID
    client_id: uuid.UUID
    name: str | None
    file_count: int
    saved: bool = False
    access_checked: bool = False
    pages: int = 0  # pages of the files accepted so far (the per-upload page budget)

    def check_access(self, s: Session) -> None:
        """The caller must be an owner or operator of the client (raised as ``_AccessDenied``)."""
        try:
            require_role(s, self.client_id, WRITERS)
        except (NotFound, Forbidden) as exc:
            raise _AccessDenied(exc) from exc
        self.access_checked = True

    def save(self, s: Session, *, status: str) -> None:
        """Record the batch on its own (when no file of the upload was accepted)."""
        self.check_access(s)
        tenant_repo.insert_batch(
            s,
            batch_id=self.id,
            client_id=self.client_id,
            name=self.name,
            file_count=self.file_count,
            status=status,
        )


class _AccessDenied(Exception):
    """Carries the caller's missing right out of the per-file error handling."""

    def __init__(self, error: InvoiceFlowError) -> None:
        super().__init__(error.message)
        self.error = error


def _store_one(
    services: Services,
    user: CurrentUser,
    batch: _Batch,
    f: UploadFile,
    outcome: FileOutcome,
    *,
    process: bool,
) -> None:
    settings = services.settings
    if f.rejected is not None:
        raise f.rejected
    if len(f.data) > settings.max_upload_bytes:
        raise TooLarge(
            f"the file is {megabytes(len(f.data))} MB; the limit is "
            f"{megabytes(settings.max_upload_bytes)} MB per file"
        )
    media_type = sniff_media_type(f.data)  # from content, never from the name
    if media_type == XML:
        check_invoice_xml(f.data)  # no SVG/XHTML or style sheets: a download must not run code
    pages = _check_pages(f.data, media_type, settings.max_pages)
    if batch.pages + pages > settings.max_pages_per_upload:
        # One request must not queue hours of OCR: the rest goes in another upload.
        raise TooLarge(
            f"this upload already holds {batch.pages} pages; with this file's {pages} it would "
            f"pass the limit of {settings.max_pages_per_upload} pages per upload",
            limit=settings.max_pages_per_upload,
        )
    outcome.content_type = media_type
    client_id = batch.client_id
    if not batch.access_checked and services.storage.stages_remotely:
        # A remote store would refuse (or keep) a non-member's bytes before our database says
        # "not found": ask the database first, once per upload.
        with user_session(services.engine, user.claims) as s:
            batch.check_access(s)
    # Store first (bytes fsynced), record second: the record is one round trip that also
    # checks the caller's role and finds duplicates; if it does not commit, the bytes go again.
    staged = services.storage.stage(client_id, f.filename, f.data, media_type, user)
    stored = staged.stored
    outcome.sha256 = stored.sha256  # hashed once, by the store
    try:
        name = display_name(f.filename)
        recorded = upload_repo.record_upload(
            services.engine,
            user.claims,
            client_id=client_id,
            batch_id=batch.id,
            new_batch=not batch.saved,
            batch_name=batch.name,
            file_count=batch.file_count,
            file={
                "bucket": stored.bucket,
                "object_key": stored.key,
                "original_name": name,
                "content_type": media_type,
                "size_bytes": stored.size,
                "sha256": stored.sha256,
            },
            audit_meta={"filename": name, "size": stored.size, "batch_id": str(batch.id)},
            enqueue=process,
            storage_object=staged.row,
        )
    except Conflict as exc:
        # A concurrent upload of the same bytes won the unique (client_id, sha256) race.
        _discard(services, stored, user)
        raise DuplicateFile("this file was already uploaded for this client") from exc
    except BaseException:
        _discard(services, stored, user)
        raise
    if recorded.outcome != "accepted":
        _discard(services, stored, user)
        _raise_refusal(recorded, client_id)
    batch.saved = batch.access_checked = True
    batch.pages += pages
    outcome.status, outcome.invoice_id, outcome.file_id = (
        "accepted",
        recorded.invoice_id,
        recorded.file_id,
    )


def _raise_refusal(recorded: upload_repo.RecordedUpload, client_id: uuid.UUID) -> None:
    if recorded.outcome == "duplicate":
        raise DuplicateFile(
            "this file was already uploaded for this client",
            invoice_id=recorded.invoice_id,
            file_id=recorded.file_id,
        )
    if recorded.outcome == "forbidden":
        writers = ", ".join(WRITERS)
        raise _AccessDenied(
            Forbidden(
                f"your role ({recorded.role}) may not do this; it needs: {writers}",
                role=recorded.role,
            )
        )
    raise _AccessDenied(NotFound("client not found", client_id=str(client_id)))


def _discard(services: Services, stored: StoredObject | None, user: CurrentUser) -> None:
    """Remove the bytes of a file whose transaction rolled back (best effort, logged)."""
    if stored is None:
        return
    try:
        services.storage.discard(stored.key, user)
    except Exception:
        log.warning("could not remove the bytes of a rolled-back upload", exc_info=True)


def megabytes(size: int) -> str:
    """A byte count in MB as people read it (``26214400`` -> ``25``, ``1572864`` -> ``1.5``)."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")
