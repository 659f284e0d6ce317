"""The extractor port: every way of reading an invoice implements this one protocol."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from core.extraction.document import Document
from core.extraction.schema import Extraction


@runtime_checkable
class Extractor(Protocol):
    """Reads a loaded :class:`Document` into the canonical :class:`Extraction`.

    ``name`` is a short stable identifier ("einvoice", "offline", "openai"); ``version`` changes
    whenever the output for the same input may change, because the extraction cache is keyed by
    file SHA-256 + name + version (+ model). ``extract`` raises only ``core.errors`` types
    (``DocumentError`` subclasses for unreadable input, ``UpstreamError`` for remote failures).
    """

    name: str
    version: str

    def extract(self, document: Document) -> Extraction:
        """Return the extraction of ``document``; never mutates it."""
        ...
