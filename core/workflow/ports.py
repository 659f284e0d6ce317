"""The ports the workflow talks through: what it needs from adapters, typed, never probed.

``Services`` (``core.workflow.services``) holds one implementation of each. The file store and
the auth provider are defined where their adapters live (``core.storage.port``,
``core.auth.port``) and re-exported here so a use case imports its seam from one place. Fakes in
tests implement these same protocols (``tests/fakes/ports.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from core.auth.port import AuthProvider
from core.extraction.prompts import VendorExample
from core.extraction.schema import Extraction
from core.storage.port import FileStore

__all__ = ["AuthProvider", "FileStore", "InvoiceExtractor", "JobQueue"]


class InvoiceExtractor(Protocol):
    """Reads one stored file into the canonical ``Extraction``.

    Implemented by ``core.extraction.pipeline.ExtractionPipeline`` (e-invoice XML, the LLM, the
    offline extractor, with a cache). Raises only ``core.errors`` types: ``DocumentError``
    subclasses for unreadable input (the invoice fails with that code), ``UpstreamError`` for a
    remote failure (the job is retried).
    """

    def extract(
        self,
        data: bytes,
        *,
        filename: str | None = None,
        vendor_examples: Sequence[VendorExample] = (),
    ) -> Extraction:
        """The extraction of ``data`` (the file's name helps to tell its type, never decides).

        ``vendor_examples``: the known vendor's corrected fields of the invoice's client, for an
        LLM's prompt (the worker passes them only when the first reading came from the LLM)."""
        ...


class JobQueue(Protocol):
    """Queues invoice processing for the workers, and reports on the queue.

    There is one way onto the queue: ``enqueue_invoice``, inside the caller's own transaction, so
    an invoice and its job commit together (the upload records its job the same way, in SQL).
    Implemented by ``core.jobs.queue.JobQueue`` (procrastinate on the product's database).
    """

    def enqueue_invoice(self, s: Session, invoice_id: uuid.UUID) -> bool:
        """Queue ``invoice_id`` (in status ``received``) as the session's user, who must be an
        owner or operator of its client; False when a job for it is already waiting."""
        ...

    def ping(self) -> None:
        """Raise unless the job tables answer."""
        ...

    def overview(self) -> tuple[dict[str, int], float]:
        """Jobs per status and the age in seconds of the oldest due job (for /metrics)."""
        ...

    def batch_jobs(self, batch_id: uuid.UUID) -> dict[str, int]:
        """Job status counts of one batch."""
        ...

    def requeue_orphans(self, *, older_than_seconds: int = 60, limit: int = 500) -> int:
        """Queue invoices left waiting without a job (lost job, crashed worker); how many."""
        ...

    def close(self) -> None:
        """Release what the queue holds open (idempotent)."""
        ...
