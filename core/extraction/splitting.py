"""Where one invoice ends and the next begins in a multi-page document (a scanned stack).

``plan_split(pages)`` is a pure function over the extracted pages (text layer or OCR, as
``load_document`` gives them). Per page it reads four signals:

- a page number ``Page i of n`` (English, German, French and a few more): ``1 of n`` starts an
  invoice, ``i of n`` with ``i > 1`` continues one, and that explicit numbering wins over the
  other signals;
- the invoice number and the vendor (name and VAT id) as the offline extractor reads them from
  that page alone: a different number or vendor than the running invoice's starts a new one;
- a blank page (almost no text): a separator sheet, never part of an invoice.

Each boundary carries its reasons and a confidence (the signals combined as independent
evidence: ``1 - prod(1 - weight)``); each part carries its page range, the pages it holds (blank
pages excluded), what it was recognised by and a confidence (the weakest of its start boundary
and the boundaries it was judged not to have). The upload wiring (one invoice per part, linked to
the original file, re-split in review) builds on this output.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from core.extraction.document import PDF, Document, Page
from core.extraction.labels import fold
from core.extraction.offline_extractor import OfflineExtractor

# Weights of the boundary signals (evidence that a page starts a new invoice).
W_PAGE_RESET = 0.9
W_NEW_NUMBER = 0.85
W_NEW_VAT = 0.7
W_NEW_VENDOR = 0.6
W_BLANK = 0.8
SAME_NUMBER_DAMPING = 0.2  # the running invoice's number on this page: likely its continuation
THRESHOLD = 0.5
MIN_FIELD_CONFIDENCE = 0.5
VENDOR_SIMILARITY = 80  # rapidfuzz token_sort_ratio below this: another vendor
BLANK_MAX_CHARS = 10  # alphanumeric characters on a page that still counts as blank

_PAGE_OF = re.compile(
    r"(?i)\b(?:page|seite|blatt|pagina|página|sida|side|strona|pag\.|p\.)\s*(\d{1,3})\s*"
    r"(?:of|von|aus|/|sur|de|di|van|af|av|z)\s*(\d{1,3})\b"
)


@dataclass(frozen=True)
class PageSignals:
    """What one page says about where it belongs."""

    page: int
    blank: bool
    page_of: tuple[int, int] | None = None  # (i, n) of "Page i of n"
    invoice_number: str | None = None
    vendor_name: str | None = None
    vendor_vat_id: str | None = None


@dataclass(frozen=True)
class Reason:
    """One signal behind a boundary: a stable ``code``, the page it was seen on, a detail."""

    # document_start | page_number_reset | new_invoice_number | new_vendor | blank_separator
    code: str
    page: int
    detail: str
    weight: float


@dataclass(frozen=True)
class Part:
    """One invoice of the document: pages ``first_page``..``last_page`` (1-based, inclusive)."""

    first_page: int
    last_page: int
    pages: tuple[int, ...]  # the pages it holds: the range without blank pages
    reasons: tuple[Reason, ...]
    confidence: float
    invoice_number: str | None = None
    vendor_name: str | None = None


@dataclass(frozen=True)
class SplitPlan:
    """The parts of a document and its blank separator pages."""

    page_count: int
    parts: tuple[Part, ...]
    blank_pages: tuple[int, ...] = field(default_factory=tuple)

    @property
    def is_multi(self) -> bool:
        """True when the document holds more than one invoice."""
        return len(self.parts) > 1

    @property
    def ranges(self) -> list[tuple[int, int]]:
        """(first page, last page) of every part."""
        return [(p.first_page, p.last_page) for p in self.parts]


def page_signals(page: Page, extractor: OfflineExtractor | None = None) -> PageSignals:
    """Read the signals of one page (the offline extractor on that page alone)."""
    text = page.text or ""
    if len(re.findall(r"\w", text)) <= BLANK_MAX_CHARS:
        return PageSignals(page=page.number, blank=True)
    marks = [(int(m.group(1)), int(m.group(2))) for m in _PAGE_OF.finditer(text)]
    page_of = next(((i, n) for i, n in reversed(marks) if 1 <= i <= n), None)
    alone = dataclasses.replace(page, number=1)  # the extractor indexes pages from 1
    ex = (extractor or OfflineExtractor()).extract(
        Document(sha256="", media_type=PDF, filename=None, pages=[alone])
    )

    def value(name: str) -> str | None:
        f = ex.field(name)
        return str(f.value) if f.present and f.confidence >= MIN_FIELD_CONFIDENCE else None

    return PageSignals(
        page=page.number,
        blank=False,
        page_of=page_of,
        invoice_number=value("invoice_number"),
        vendor_name=value("vendor_name"),
        vendor_vat_id=value("vendor_vat_id"),
    )


def _norm_id(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(value))


def _boundary(
    sig: PageSignals, running: dict[str, str], blank_before: int
) -> tuple[float, list[Reason]]:
    """Probability that ``sig`` starts a new invoice, and the reasons for it."""
    reasons: list[Reason] = []
    if sig.page_of is not None:
        i, n = sig.page_of
        if i > 1:  # explicit numbering says: continuation
            return 0.0, []
        reasons.append(Reason("page_number_reset", sig.page, f"page 1 of {n}", W_PAGE_RESET))
    if blank_before:
        detail = f"{blank_before} blank page(s) before it"
        reasons.append(Reason("blank_separator", sig.page, detail, W_BLANK))
    same_number = False
    number, known = sig.invoice_number, running.get("invoice_number")
    if number and known:
        if _norm_id(number) != _norm_id(known):
            detail = f"invoice number {number} after {known}"
            reasons.append(Reason("new_invoice_number", sig.page, detail, W_NEW_NUMBER))
        else:
            same_number = True
    vat, known_vat = sig.vendor_vat_id, running.get("vendor_vat_id")
    if vat and known_vat and _norm_id(vat) != _norm_id(known_vat):
        reasons.append(Reason("new_vendor", sig.page, f"VAT id {vat} after {known_vat}", W_NEW_VAT))
    else:
        name, known_name = sig.vendor_name, running.get("vendor_name")
        similarity = fuzz.token_sort_ratio(fold(name or ""), fold(known_name or ""))
        if name and known_name and similarity < VENDOR_SIMILARITY:
            detail = f"vendor {name} after {known_name}"
            reasons.append(Reason("new_vendor", sig.page, detail, W_NEW_VENDOR))
    p_same = 1.0
    for r in reasons:
        p_same *= 1 - r.weight
    p = 1 - p_same
    if same_number:
        p *= SAME_NUMBER_DAMPING
    return round(p, 4), reasons


@dataclass
class _Draft:
    pages: list[int]
    reasons: list[Reason]
    start: float
    inner: float = 1.0
    fields: dict[str, str] = field(default_factory=dict)

    def part(self) -> Part:
        return Part(
            first_page=self.pages[0],
            last_page=self.pages[-1],
            pages=tuple(self.pages),
            reasons=tuple(self.reasons),
            confidence=round(min(self.start, self.inner), 4),
            invoice_number=self.fields.get("invoice_number"),
            vendor_name=self.fields.get("vendor_name"),
        )


def plan_split(pages: Sequence[Page] | Sequence[PageSignals]) -> SplitPlan:
    """The invoices in ``pages`` (``load_document(...).pages`` or precomputed signals)."""
    extractor = OfflineExtractor()
    signals = [p if isinstance(p, PageSignals) else page_signals(p, extractor) for p in pages]
    drafts: list[_Draft] = []
    blanks: list[int] = []
    blank_run = 0
    for sig in signals:
        if sig.blank:
            blanks.append(sig.page)
            blank_run += 1
            continue
        if not drafts:
            start = Reason("document_start", sig.page, "first page with text", 1.0)
            drafts.append(_Draft([sig.page], [start], 1.0))
        else:
            p, reasons = _boundary(sig, drafts[-1].fields, blank_run)
            if p >= THRESHOLD:
                drafts.append(_Draft([sig.page], reasons, p))
            else:
                drafts[-1].pages.append(sig.page)
                drafts[-1].inner = min(drafts[-1].inner, 1 - p)
        for key in ("invoice_number", "vendor_name", "vendor_vat_id"):
            value = getattr(sig, key)
            if value:
                drafts[-1].fields.setdefault(key, value)
        blank_run = 0
    return SplitPlan(
        page_count=len(signals),
        parts=tuple(d.part() for d in drafts),
        blank_pages=tuple(blanks),
    )
