"""Documents the regression tests draw themselves: text-layer PDFs, scans and junk text layers.

Each document is a list of rows; a row is a list of cells ``(x_mm, text)`` or
``(x_mm, text, font_size)``. Nothing here reads benchmark data: every test builds what it needs.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from core.demo.synthetic_content import InvoiceSpec, make_spec
from core.demo.synthetic_stream import next_invoice
from core.extraction.document import Document, load_document
from core.extraction.offline_extractor import OfflineExtractor
from core.extraction.schema import Extraction
from core.extraction.validation import validate

Cell = tuple[float, str] | tuple[float, str, float]
Row = Sequence[Cell]
LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 50}
_FONT = "DejaVuSans"
_FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)


def _font_name() -> str:
    """A Unicode TrueType font when the system has one ("zł", "€", "₹"), else Helvetica."""
    if _FONT in pdfmetrics.getRegisteredFontNames():
        return _FONT
    for path in _FONT_FILES:
        try:
            pdfmetrics.registerFont(TTFont(_FONT, path))
            return _FONT
        except Exception:  # noqa: S112 - no such font on this machine: try the next one
            continue
    return "Helvetica"


def _cell(cell: Cell) -> tuple[float, str, float]:
    return (cell[0], cell[1], cell[2] if len(cell) == 3 else 10.0)  # type: ignore[misc]


def text_pdf(pages: Sequence[Sequence[Row]], *, line_mm: float = 6.0, top_mm: float = 20) -> bytes:
    """A born-digital PDF: each page's rows drawn top-down ``line_mm`` apart."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    font = _font_name()
    for rows in pages:
        y = A4[1] - top_mm * mm
        for row in rows:
            for cell in row:
                x, text, size = _cell(cell)
                canvas.setFont(font, size)
                canvas.drawString(x * mm, y, text)
            y -= line_mm * mm
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def page_image(rows: Sequence[Row], *, dpi: int = 200, width_mm: float = 210) -> Image.Image:
    """The rows drawn on a white page image, as a scanner would see them."""
    scale = dpi / 25.4
    height_mm = 20 + 7.5 * len(rows) + 20
    image = Image.new("RGB", (round(width_mm * scale), round(height_mm * scale)), "white")
    draw = ImageDraw.Draw(image)
    y = 20 * scale
    for row in rows:
        for cell in row:
            x, text, size = _cell(cell)
            font = ImageFont.load_default(size=round(size * 1.35 * dpi / 96))
            draw.text((x * scale, y), text, fill="black", font=font)
        y += 7.5 * scale
    return image


def scan_png(rows: Sequence[Row], *, dpi: int = 200, width_mm: float = 210) -> bytes:
    """A PNG scan of the rows (needs OCR)."""
    buf = io.BytesIO()
    page_image(rows, dpi=dpi, width_mm=width_mm).save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def scan_with_junk_layer(rows: Sequence[Row], junk: Sequence[str]) -> bytes:
    """A scanned page (full-page image) with an invisible text layer of ``junk`` over it, as
    phone-scanning apps lay their own poor OCR over the photo."""
    image = page_image(rows)
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    # A page-sized scan: the drawn rows at their own aspect ratio on a white A4 sheet.
    sheet = Image.new("RGB", (image.width, round(image.width * A4[1] / A4[0])), "white")
    sheet.paste(image, (0, 0))
    canvas.drawImage(ImageReader(sheet), 0, 0, width=A4[0], height=A4[1])
    text = canvas.beginText(20 * mm, A4[1] - 25 * mm)
    text.setTextRenderMode(3)  # invisible, over the image
    text.setFont("Helvetica", 10)
    for line in junk:
        text.textLine(line)
    canvas.drawText(text)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def junk_text_pdf(lines: Sequence[str]) -> bytes:
    """A born-digital PDF whose text layer is mojibake (visible glyphs, unusable text)."""
    return text_pdf([[[(20, line)] for line in lines]])


def load(data: bytes, *, ocr: bool = False) -> Document:
    return load_document(data, ocr=ocr, **LIMITS)


def extract(
    data: bytes, *, ocr: bool = False, known_vendors: Sequence[str] | None = None
) -> Extraction:
    """Load, extract offline and validate, as the pipeline does."""
    doc = load(data, ocr=ocr)
    extractor = OfflineExtractor()
    result = (
        extractor.extract(doc, known_vendors=known_vendors)
        if known_vendors is not None
        else extractor.extract(doc)
    )
    return validate(result, doc.full_text)


def stream_spec(
    vendor: int, index: int, n_items: int, po: str | None = None, seed: int = 14
) -> InvoiceSpec:
    """Invoice ``index`` of vendor ``vendor`` in the STP bench's stream of ``seed``, built as
    ``bench.stp_bench.make_stream`` builds it (same spec, so the same rendered bytes)."""

    base = make_spec(seed * 1000 + vendor, credit_note=False, n_items=2)
    base = dataclasses.replace(base, show_amount_due=False, prepaid=Decimal("0"))
    spec = next_invoice(base, seed * 100_000 + index, n_items=n_items)
    return dataclasses.replace(spec, po_number=po)
