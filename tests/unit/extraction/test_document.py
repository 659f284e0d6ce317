"""Loading uploads: type from content, words with geometry, embedded XML, typed errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from core.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    TooLarge,
    TooManyPages,
    UnsupportedType,
)
from core.extraction.document import (
    JPEG,
    PDF,
    PNG,
    TIFF,
    XML,
    load_document,
    render_page_image,
    sniff_media_type,
)

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pages": 20, "ocr": False}


def _pdf(pages: int = 1, *, encrypt: str | None = None) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, encrypt=encrypt)
    for i in range(pages):
        c.setFont("Helvetica-Bold", 20)
        c.drawString(72, 780, "ACME GmbH")
        c.setFont("Helvetica", 10)
        c.drawString(72, 700, "Invoice number:")
        c.drawString(300, 700, f"INV-{i + 1}")
        c.drawString(72, 680, "Total 1\u00a0234,56 EUR")
        c.showPage()
    c.save()
    return buf.getvalue()


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n...", PDF),
        (b"\x89PNG\r\n\x1a\n....", PNG),
        (b"\xff\xd8\xff\xe0....", JPEG),
        (b"II*\x00....", TIFF),
        (b"MM\x00*....", TIFF),
        (b"<?xml version='1.0'?><Invoice/>", XML),
        (b"\xef\xbb\xbf  <rsm:CrossIndustryInvoice/>", XML),
    ],
)
def test_sniff_reads_the_type_from_the_content(data: bytes, expected: str) -> None:
    assert sniff_media_type(data) == expected


@pytest.mark.parametrize("data", [b"hello world", b"PK\x03\x04zip", b"<!DOCTYPE html><html>"])
def test_sniff_refuses_anything_else(data: bytes) -> None:
    with pytest.raises(UnsupportedType):
        sniff_media_type(data)


def test_text_layer_words_have_top_left_geometry_and_reading_order() -> None:
    doc = load_document(_pdf(), filename="a.pdf", **LIMITS)
    page = doc.pages[0]
    assert (page.number, page.source) == (1, "text_layer")
    assert (round(page.width), round(page.height)) == (595, 842)
    acme = next(w for w in page.words if w.text == "ACME")
    inv = next(w for w in page.words if w.text == "INV-1")
    assert acme.y0 < inv.y0  # higher on the page means a smaller y
    assert 60 < acme.x0 < 80 and acme.size == pytest.approx(20, abs=0.5)
    assert page.text.splitlines()[0] == "ACME GmbH"
    assert "Invoice number:   INV-1" in page.text  # a column gap reads as three spaces
    assert "1 234,56" in page.text.replace("\u00a0", " ")  # a no-break space stays inside
    assert doc.sha256 and doc.embedded_xml is None and doc.full_text.startswith("ACME")


def test_rotated_pages_are_read_upright() -> None:
    # A landscape page stored portrait: /Rotate 90 with content drawn turned in user space.
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setPageRotation(90)
    c.translate(500, 100)
    c.rotate(90)
    c.setFont("Helvetica", 10)
    c.drawString(0, 0, "Invoice number: INV-1")
    c.showPage()
    c.save()
    page = load_document(buf.getvalue(), **LIMITS).pages[0]
    assert page.width > page.height
    assert page.text == "Invoice number: INV-1"
    words = {w.text: w for w in page.words}
    assert words["Invoice"].x0 < words["INV-1"].x0 and words["Invoice"].y0 == words["INV-1"].y0


def test_embedded_factur_x_xml_is_found(zugferd_dir: Path) -> None:
    doc = load_document((zugferd_dir / "docs/EN16931_Rabatte.pdf").read_bytes(), **LIMITS)
    assert doc.embedded_xml_name == "factur-x.xml"
    assert doc.embedded_xml is not None and b"CrossIndustryInvoice" in doc.embedded_xml
    assert doc.page_count == 3


def test_render_page_image_is_bounded_and_lazy() -> None:
    doc = load_document(_pdf(2), **LIMITS)
    image = render_page_image(doc, 2, dpi=72)
    assert abs(image.size[0] - 595) <= 1 and abs(image.size[1] - 842) <= 1
    assert image.mode == "RGB"
    with pytest.raises(IndexError):
        render_page_image(doc, 3)


def test_png_named_pdf_is_read_as_the_png_it_is() -> None:
    doc = load_document(_image("PNG"), filename="invoice.pdf", **LIMITS)
    assert doc.media_type == PNG and doc.filename == "invoice.pdf"
    assert len(doc.pages) == 1 and doc.pages[0].source == "ocr"


def test_multi_page_tiff_gives_one_page_per_frame() -> None:
    frames = [Image.new("RGB", (40, 30), c) for c in ("white", "gray", "black")]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    doc = load_document(buf.getvalue(), **LIMITS)
    assert doc.media_type == TIFF and [p.number for p in doc.pages] == [1, 2, 3]


def test_zero_byte_file_is_empty() -> None:
    with pytest.raises(EmptyDocument) as err:
        load_document(b"", **LIMITS)
    assert err.value.code == "empty_document"


def test_oversized_file_is_too_large() -> None:
    with pytest.raises(TooLarge):
        load_document(_pdf(), max_bytes=100, max_pages=5)


def test_too_many_pages() -> None:
    with pytest.raises(TooManyPages) as err:
        load_document(_pdf(6), max_bytes=10**7, max_pages=5, ocr=False)
    assert err.value.code == "too_many_pages"


def test_corrupt_pdf_and_image() -> None:
    with pytest.raises(CorruptDocument):
        load_document(b"%PDF-1.4\n1 0 obj garbage", **LIMITS)
    with pytest.raises(CorruptDocument):
        load_document(_image("PNG")[:40], **LIMITS)


def test_encrypted_pdf_is_a_typed_error() -> None:
    with pytest.raises(EncryptedDocument) as err:
        load_document(_pdf(encrypt="s3cret"), **LIMITS)
    assert "password" in err.value.message
