"""Loading uploaded bytes into a :class:`Document`: type sniffing, limits, text layer, OCR.

The type comes from the content, never from the file name. Every unreadable input raises a
typed error from :mod:`core.errors` (empty, corrupt, encrypted, too large, too many pages,
decompression bomb, unsupported type); nothing here lets a library exception escape. PDF streams
and attachments are inflated under caps before PDFium sees the file (``pdf_limits``).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from core.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    ExtractionBudgetExceeded,
    HostileDocument,
    TooLarge,
    TooManyPages,
    UnsupportedType,
)
from core.extraction.layout import Line, Word, group_lines, lines_text, pdf_page_words
from core.extraction.pdf_limits import scan_pdf
from core.extraction.pdfium_lock import PDFIUM_LOCK
from core.extraction.text_quality import MIN_TEXT_QUALITY, text_quality

# A text layer laid over a scan by another program's OCR must be cleaner than this to be kept.
SCANNED_MIN_TEXT_QUALITY = 0.9

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
XML = "application/xml"
IMAGE_TYPES = frozenset({PNG, JPEG, TIFF})

# A4 at 300 dpi is 8.7 Mpx; 60 Mpx leaves room for large scans and refuses pixel bombs.
MAX_IMAGE_PIXELS = 60_000_000
# A page with fewer visible characters than this in its text layer is treated as scanned.
MIN_TEXT_CHARS = 20

Source = Literal["text_layer", "ocr"]


@dataclass
class Page:
    """One page: 1-based number, size in points, words (top-left origin) and reading-order text."""

    number: int
    width: float
    height: float
    words: list[Word]
    text: str
    source: Source

    @cached_property
    def lines(self) -> list[Line]:
        return group_lines(self.words)


@dataclass
class Document:
    """A loaded upload. ``xml`` is set for standalone XML files, ``embedded_xml`` for PDFs."""

    sha256: str
    media_type: str
    filename: str | None
    pages: list[Page]
    embedded_xml: bytes | None = None
    xml: bytes | None = None
    data: bytes = field(default=b"", repr=False)
    embedded_xml_name: str | None = None
    # What loading decided that the extraction should say (e.g. a text layer sent to OCR).
    notes: list[str] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        """Text of all pages, pages separated by a form feed."""
        return "\f".join(p.text for p in self.pages)

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def einvoice_xml(self) -> bytes | None:
        """The e-invoice XML this document carries, standalone or embedded."""
        return self.xml if self.xml is not None else self.embedded_xml


def sniff_media_type(data: bytes) -> str:
    """Media type from the leading bytes; raises ``UnsupportedType`` for anything else."""
    if not data:
        raise EmptyDocument("the file is empty (0 bytes)")
    head = data[:1024]
    if b"%PDF-" in head:
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    text = _xml_head(data[:512])
    if text.startswith("<") and not text.lower().startswith(("<!doctype html", "<html")):
        stripped = text.lstrip("<").lstrip()
        if stripped[:1].isalpha() or stripped.startswith(("?xml", "!--")):
            return XML
    raise UnsupportedType("unsupported file type: expected PDF, PNG, JPEG, TIFF or XML content")


def _xml_head(head: bytes) -> str:
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(enc, "ignore").lstrip()
    return head.decode("utf-8", "ignore").lstrip()


def load_document(
    data: bytes,
    *,
    filename: str | None = None,
    max_bytes: int,
    max_pages: int,
    ocr: bool = True,
    max_ocr_pages: int = 0,
) -> Document:
    """Check limits, sniff the type and read text (text layer, else OCR when ``ocr``).

    ``max_ocr_pages`` (0 = no limit) is the job's OCR budget: a file with more pages that need
    OCR is refused with ``ExtractionBudgetExceeded`` before any page is OCR'd.
    """
    if len(data) == 0:
        raise EmptyDocument("the file is empty (0 bytes)", filename=filename)
    if len(data) > max_bytes:
        raise TooLarge(
            f"the file has {len(data)} bytes; the limit is {max_bytes}",
            size=len(data),
            limit=max_bytes,
        )
    media_type = sniff_media_type(data)
    sha = hashlib.sha256(data).hexdigest()
    doc = Document(sha256=sha, media_type=media_type, filename=filename, pages=[], data=data)
    if media_type == XML:
        doc.xml = data
    elif media_type == PDF:
        # Every stream and the e-invoice attachment are inflated under caps first (pypdf, no
        # PDFium lock needed); PDFium never reads an attachment (it inflates without a cap).
        scan = scan_pdf(data)
        doc.embedded_xml, doc.embedded_xml_name = scan.embedded_xml, scan.embedded_xml_name
        with PDFIUM_LOCK:  # PDFium is not thread-safe, even across documents
            doc.pages = _load_pdf(data, max_pages, ocr, doc.notes, max_ocr_pages)
    else:
        doc.pages = _load_image(data, max_pages, ocr, max_ocr_pages)
    return doc


def pdf_page_count(data: bytes) -> int:
    """How many pages the PDF has (typed errors for damaged or encrypted files); thread-safe."""
    with PDFIUM_LOCK:  # PDFium is not thread-safe, even across documents
        pdf = open_pdf(data)
        try:
            return len(pdf)
        finally:
            pdf.close()


def image_frame_count(data: bytes) -> int:
    """Pages of an image upload: TIFF frames, else 1 (a damaged image counts 1, fails later)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return max(1, int(getattr(image, "n_frames", 1)))
    except Exception:  # PIL raises many types; reading the file properly reports the damage
        return 1


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """Open PDF bytes, translating PDFium failures into typed document errors.

    The caller holds ``PDFIUM_LOCK`` until it has closed the document.
    """
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedDocument("the PDF is password-protected") from exc
        raise CorruptDocument("the PDF is damaged and cannot be read") from exc


def _check_ocr_budget(needed: int, total: int, budget: int) -> None:
    if budget and needed > budget:
        raise ExtractionBudgetExceeded(
            f"{needed} of the {total} pages have no usable text layer and need OCR; "
            f"the budget is {budget} pages per file",
            budget="ocr_pages",
            limit=budget,
            pages=needed,
        )


def _load_pdf(
    data: bytes, max_pages: int, ocr: bool, notes: list[str], max_ocr_pages: int = 0
) -> list[Page]:
    pdf = open_pdf(data)
    try:
        n = len(pdf)
        if n == 0:
            raise EmptyDocument("the PDF has no pages")
        if n > max_pages:
            raise TooManyPages(f"the PDF has {n} pages; the limit is {max_pages}", pages=n)
        # First pass, cheap: every page's text layer and whether it must be OCR'd (none, or one
        # too poor to keep), so the job's OCR budget is checked before any OCR runs.
        layers: list[tuple[float, float, list[Word], str | None]] = []
        for i in range(n):
            page = pdf[i]
            try:
                width, height, words = pdf_page_words(page)
                layers.append((width, height, words, _usable_text(page, i + 1, words, ocr, notes)))
            except pdfium.PdfiumError as exc:
                raise CorruptDocument(f"page {i + 1} of the PDF cannot be read") from exc
            finally:
                page.close()
        if ocr:
            _check_ocr_budget(sum(text is None for *_, text in layers), n, max_ocr_pages)
        pages: list[Page] = []
        for i, (width, height, words, text) in enumerate(layers):
            if text is not None:
                pages.append(Page(i + 1, width, height, words, text, "text_layer"))
                continue
            page = pdf[i]
            try:
                pages.append(_ocr_pdf_page(page, i + 1, width, height))
            except pdfium.PdfiumError as exc:
                raise CorruptDocument(f"page {i + 1} of the PDF cannot be read") from exc
            finally:
                page.close()
        return pages
    finally:
        pdf.close()


def _usable_text(
    page: pdfium.PdfPage, number: int, words: list[Word], ocr: bool, notes: list[str]
) -> str | None:
    """The page's text layer, or None when it is to be OCR'd (no text, or too poor to keep)."""
    visible = sum(len(w.text) for w in words)
    if visible < MIN_TEXT_CHARS and ocr:
        return None
    text = lines_text(group_lines(words))
    if ocr:
        quality = text_quality(text)
        limit = MIN_TEXT_QUALITY
        if quality < SCANNED_MIN_TEXT_QUALITY and _invisible_text_over_image(page):
            limit = SCANNED_MIN_TEXT_QUALITY  # another program's OCR of a scan
        if quality < limit:
            notes.append(
                f"text_layer_replaced: page {number} text layer scored {quality:.2f}"
                f" < {limit:.2f} (character statistics); read by OCR instead"
            )
            return None
    return text


def _invisible_text_over_image(page: pdfium.PdfPage) -> bool:
    """A scan with an OCR layer: a page-sized image under text drawn invisibly (render mode 3)."""
    width, height = page.get_size()
    covered = False
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        if (right - left) * (top - bottom) >= 0.8 * width * height:
            covered = True
            break
    if not covered:
        return False
    texts = invisible = 0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_TEXT,), max_depth=2):
        texts += 1
        mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw)
        invisible += mode == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
    return texts > 0 and invisible >= 0.9 * texts


def _safe_scale(width_pt: float, height_pt: float, dpi: float) -> float:
    """Render scale for ``dpi``, lowered so the bitmap never exceeds ``MAX_IMAGE_PIXELS``."""
    scale = dpi / 72.0
    pixels = width_pt * height_pt * scale * scale
    if pixels > MAX_IMAGE_PIXELS:
        scale *= (MAX_IMAGE_PIXELS / pixels) ** 0.5
    return scale


def _ocr_pdf_page(page: pdfium.PdfPage, number: int, width: float, height: float) -> Page:
    from core.extraction.ocr import OCR_DPI, ocr_image

    scale = _safe_scale(width, height, OCR_DPI)
    bitmap = page.render(scale=scale, rotation=0)
    image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap is freed here, under the lock
    bitmap.close()
    words = ocr_image(image, points_per_pixel=1.0 / scale)
    return Page(number, width, height, words, lines_text(group_lines(words)), "ocr")


def _open_image(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise HostileDocument("the image is too large to decode safely") from exc
    except Exception as exc:  # PIL raises many types for damaged files
        raise CorruptDocument("the image is damaged and cannot be read") from exc
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise HostileDocument(
            f"the image has {image.width}x{image.height} pixels; the limit is {MAX_IMAGE_PIXELS}"
        )
    return image


def image_points_per_pixel(image: Image.Image) -> float:
    """Points per pixel: from the image's DPI when plausible, else fit the long side to A4."""
    dpi = image.info.get("dpi")
    try:
        x_dpi = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        x_dpi = 0.0
    if 100 <= x_dpi <= 1200:
        return 72.0 / x_dpi
    return 842.0 / max(image.width, image.height, 1)


def _load_image(data: bytes, max_pages: int, ocr: bool, max_ocr_pages: int = 0) -> list[Page]:
    image = _open_image(data)
    frames = getattr(image, "n_frames", 1)
    if frames > max_pages:
        raise TooManyPages(f"the image has {frames} pages; the limit is {max_pages}", pages=frames)
    if ocr:
        _check_ocr_budget(frames, frames, max_ocr_pages)
    pages = []
    for i in range(frames):
        try:
            image.seek(i)
            frame = image.convert("RGB")
        except Exception as exc:
            raise CorruptDocument(f"page {i + 1} of the image cannot be decoded") from exc
        ppp = image_points_per_pixel(image)
        words: list[Word] = []
        if ocr:
            from core.extraction.ocr import ocr_image

            words = ocr_image(frame, points_per_pixel=ppp)
        text = lines_text(group_lines(words))
        pages.append(Page(i + 1, frame.width * ppp, frame.height * ppp, words, text, "ocr"))
    return pages


def render_page_image(document: Document, page_number: int, dpi: int = 150) -> Image.Image:
    """Render one 1-based page as an RGB image (for vision models and OCR), bounded in pixels."""
    if document.media_type == PDF:
        with PDFIUM_LOCK:
            pdf = open_pdf(document.data)
            try:
                if not 1 <= page_number <= len(pdf):
                    raise IndexError(page_number)
                page = pdf[page_number - 1]
                width, height = page.get_size()
                bitmap = page.render(scale=_safe_scale(width, height, dpi))
                image: Image.Image = bitmap.to_pil().convert("RGB")  # a copy, owned by PIL
                bitmap.close()
                page.close()
                return image
            finally:
                pdf.close()
    if document.media_type in IMAGE_TYPES:
        image = _open_image(document.data)
        image.seek(page_number - 1)
        frame = image.convert("RGB")
        ppp = image_points_per_pixel(image)
        factor = (dpi / 72.0) * ppp
        if factor < 1.0:  # downscale only; upscaling a scan adds no detail
            size = (max(1, round(frame.width * factor)), max(1, round(frame.height * factor)))
            frame = frame.resize(size)
        return frame
    raise UnsupportedType("this document has no pages to render")
