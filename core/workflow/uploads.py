"""Upload one or many files: sniff, limit, hash, store once per client, create invoices, enqueue.

Each file succeeds or fails on its own (a bad file never loses the rest of the batch). An identical
file (same SHA-256) already stored for the client is reported as a duplicate with the existing
invoice id, not stored twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.auth.models import CurrentUser
from core.db import invoice_repo, tenant_repo
from core.db.session import user_session
from core.errors import (
    Conflict,
    DuplicateFile,
    InvoiceFlowError,
    TooLarge,
    ValidationFailed,
)
from core.extraction.document import sniff_media_type
from core.jobs.queue import InvoiceJob
from core.workflow.access import WRITERS, require_role

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
    priority: int | None = None  # job priority for per-client fairness


@dataclass
class UploadResult:
    """The batch and one outcome per file, in upload order."""

    batch_id: uuid.UUID | None
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(f.status == "accepted" for f in self.files)


def display_name(filename: str | None) -> str:
    """The user's file name for display: control characters dropped, at most 255 characters."""
    cleaned = "".join(ch for ch in (filename or "") if ch.isprintable()).strip()
    return cleaned[:255] or "upload"


def _check_pages(data: bytes, media_type: str, max_pages: int) -> None:
    if media_type != "application/pdf":
        return
    from core.extraction.document import open_pdf

    pdf = open_pdf(data)
    try:
        pages = len(pdf)
    finally:
        pdf.close()
    if pages > max_pages:
        from core.errors import TooManyPages

        raise TooManyPages(f"the PDF has {pages} pages; the limit is {max_pages}", pages=pages)


def upload_files(
    *,
    services: Any,
    user: CurrentUser,
    client_id: uuid.UUID,
    files: Sequence[UploadFile],
    batch_name: str | None = None,
    process: bool = True,
) -> UploadResult:
    """Store each file for ``client_id``, create its invoice in ``received`` and enqueue it."""
    settings = services.settings
    if not files:
        raise ValidationFailed("no files were sent")
    if len(files) > settings.max_files_per_upload:
        raise TooLarge(
            f"at most {settings.max_files_per_upload} files per upload",
            limit=settings.max_files_per_upload,
        )
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, WRITERS)
        batch_id = tenant_repo.insert_batch(
            s, client_id=client_id, name=batch_name, file_count=len(files)
        )
    result = UploadResult(batch_id=batch_id)
    jobs: list[InvoiceJob] = []
    for f in files:
        outcome = FileOutcome(filename=f.filename, status="rejected", size=len(f.data))
        result.files.append(outcome)
        try:
            _store_one(services, user, client_id, batch_id, f, outcome)
        except DuplicateFile as exc:
            outcome.status, outcome.error_code, outcome.error = "duplicate", exc.code, exc.message
            outcome.invoice_id = exc.details.get("invoice_id")
        except InvoiceFlowError as exc:
            outcome.error_code, outcome.error = exc.code, exc.message
        if outcome.status == "accepted" and outcome.invoice_id:
            jobs.append(
                InvoiceJob(outcome.invoice_id, client_id, user.id, batch_id, outcome.priority)
            )
    if process and jobs:
        services.jobs.enqueue(jobs)
    if not jobs:
        with user_session(services.engine, user.claims) as s:
            tenant_repo.set_batch_status(s, batch_id, "done")
    return result


def _store_one(
    services: Any,
    user: CurrentUser,
    client_id: uuid.UUID,
    batch_id: uuid.UUID,
    f: UploadFile,
    outcome: FileOutcome,
) -> None:
    settings = services.settings
    if f.rejected is not None:
        raise f.rejected
    if len(f.data) > settings.max_upload_bytes:
        raise TooLarge(f"the file is larger than {settings.max_upload_bytes} bytes")
    media_type = sniff_media_type(f.data)  # from content, never from the name
    _check_pages(f.data, media_type, settings.max_pages)
    sha = hashlib.sha256(f.data).hexdigest()
    outcome.sha256, outcome.content_type = sha, media_type
    # Stored first, recorded second (one transaction): a duplicate is found by the same
    # transaction that would record it, and its bytes are removed again. Duplicates are rare;
    # one round trip less per upload is not.
    stored = services.storage.put(client_id, f.filename, f.data, media_type, user)
    try:
        with user_session(services.engine, user.claims) as s:
            existing = tenant_repo.file_by_sha(s, client_id=client_id, sha256=sha)
            if existing is not None:
                raise DuplicateFile(
                    "this file was already uploaded for this client",
                    invoice_id=existing.get("invoice_id"),
                    file_id=existing["id"],
                )
            file_id = tenant_repo.insert_file(
                s,
                {
                    "client_id": client_id,
                    "bucket": stored.bucket,
                    "object_key": stored.key,
                    "original_name": display_name(f.filename),
                    "content_type": media_type,
                    "size_bytes": stored.size,
                    "sha256": stored.sha256,
                },
            )
            row = invoice_repo.insert_invoice(
                s, {"client_id": client_id, "file_id": file_id, "batch_id": batch_id}
            )
            invoice_repo.insert_audit(
                s,
                client_id=client_id,
                invoice_id=row["id"],
                action="invoice.uploaded",
                after={"status": row["status"], "file_id": str(file_id), "sha256": sha},
                meta={
                    "filename": display_name(f.filename),
                    "size": stored.size,
                    "batch_id": str(batch_id),
                },
            )
            # Fairness: the client's invoices already waiting push this one further back.
            outcome.priority = -invoice_repo.count_in_flight(s, client_id)
    except DuplicateFile:
        services.storage.delete(stored.key, user)
        raise
    except Conflict as exc:
        # A concurrent upload of the same bytes won the unique (client_id, sha256) race.
        services.storage.delete(stored.key, user)
        raise DuplicateFile("this file was already uploaded for this client") from exc
    except BaseException:
        services.storage.delete(stored.key, user)
        raise
    outcome.status, outcome.invoice_id, outcome.file_id = "accepted", row["id"], file_id
