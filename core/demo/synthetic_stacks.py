"""Multi-invoice PDFs ("one scan of a stack") with the true invoice boundaries, for tests and
benchmarks of ``core.extraction.splitting``.

``make_stack`` concatenates synthetic invoices (each maybe several pages long) and, optionally,
blank separator sheets between them; the truth is each invoice's page range (1-based, inclusive)
and the blank pages. Same arguments, same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium

from core.demo.synthetic_invoices import generate_invoice
from core.extraction.pdfium_lock import PDFIUM_LOCK

A4 = (595.28, 841.89)


@dataclass(frozen=True)
class SyntheticStack:
    """One multi-invoice PDF and where each invoice really starts and ends."""

    data: bytes
    ranges: tuple[tuple[int, int], ...]  # (first page, last page) per invoice, 1-based
    blank_pages: tuple[int, ...]
    invoice_numbers: tuple[str, ...]
    vendors: tuple[str, ...]


def make_stack(
    seeds: Sequence[int],
    *,
    blank_between: bool = False,
    n_items: Sequence[int | None] | None = None,
    locale: str | None = None,
) -> SyntheticStack:
    """Invoices from ``seeds`` in one PDF; ``n_items[i]`` pins invoice i's line count (long
    invoices run over several pages); ``blank_between`` adds a blank sheet between invoices."""
    counts = list(n_items) if n_items is not None else [None] * len(seeds)
    docs = [
        generate_invoice(seed, kind="pdf", locale=locale, n_items=count)
        for seed, count in zip(seeds, counts, strict=True)
    ]
    ranges: list[tuple[int, int]] = []
    blanks: list[int] = []
    with PDFIUM_LOCK:
        out = pdfium.PdfDocument.new()
        try:
            for i, doc in enumerate(docs):
                if i and blank_between:
                    out.new_page(*A4)
                    blanks.append(len(out))
                src = pdfium.PdfDocument(doc.data)
                try:
                    first = len(out) + 1
                    out.import_pages(src)
                    ranges.append((first, len(out)))
                finally:
                    src.close()
            buf = io.BytesIO()
            out.save(buf)
        finally:
            out.close()
    return SyntheticStack(
        data=buf.getvalue(),
        ranges=tuple(ranges),
        blank_pages=tuple(blanks),
        invoice_numbers=tuple(d.truth["invoice_number"] for d in docs),
        vendors=tuple(d.truth["vendor_name"] for d in docs),
    )
