"""Hostile and broken uploads: each one is a typed error (or read safely), never a crash or hang.

Decision on a PNG named ``.pdf``: the type comes from the bytes, never the name, so it is read as
the PNG it is (the file name is kept for display only).
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from core.demo.synthetic_invoices import generate_invoice
from core.errors import (
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    HostileDocument,
    TooLarge,
    TooManyPages,
    UnsupportedType,
)
from core.extraction.document import PNG, load_document
from core.extraction.einvoice_extractor import EInvoiceExtractor

LIMITS = {"max_bytes": 25 * 1024 * 1024, "max_pages": 200, "ocr": False}


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims huge dimensions (one compressed row of zeros)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    idat = zlib.compress(b"\x00" * (width // 8 + 1), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _pdf(pages: int, **canvas_kwargs: object) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, invariant=1, **canvas_kwargs)  # type: ignore[arg-type]
    for i in range(pages):
        c.drawString(72, 720, f"Page {i + 1} of a very long document with some text on it")
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (12_000, 12_000)])
def test_decompression_bomb_images_are_refused(width: int, height: int) -> None:
    bomb = _png_header_only(width, height)
    assert len(bomb) < 20_000
    with pytest.raises(HostileDocument) as err:
        load_document(bomb, filename="bomb.png", **LIMITS)
    assert err.value.code == "hostile_document"


def test_a_thousand_page_pdf_is_refused_by_page_count() -> None:
    with pytest.raises(TooManyPages) as err:
        load_document(_pdf(1000), filename="long.pdf", **LIMITS)
    assert err.value.details["pages"] == 1000


def test_a_multi_frame_tiff_beyond_the_page_limit_is_refused() -> None:
    frames = [Image.new("L", (20, 20), 255) for _ in range(30)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(TooManyPages):
        load_document(buf.getvalue(), filename="many.tiff", max_bytes=10**7, max_pages=10)


def test_encrypted_pdf_is_a_typed_error() -> None:
    locked = _pdf(1, encrypt="s3cret-user-password")
    with pytest.raises(EncryptedDocument) as err:
        load_document(locked, filename="locked.pdf", **LIMITS)
    assert err.value.code == "encrypted_document"


def test_zero_byte_file_is_empty() -> None:
    with pytest.raises(EmptyDocument):
        load_document(b"", filename="empty.pdf", **LIMITS)


def test_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(TooLarge):
        load_document(b"%PDF-1.7\n" + b"0" * 2000, filename="big.pdf", max_bytes=1000, max_pages=5)


def test_a_png_named_pdf_is_read_as_the_png_it_is() -> None:
    scan = generate_invoice(11, kind="scan_png", n_items=1)
    doc = load_document(scan.data, filename="invoice.pdf", **LIMITS)
    assert doc.media_type == PNG
    assert doc.filename == "invoice.pdf"
    assert doc.page_count == 1


def test_truncated_pdf_is_corrupt_not_a_crash() -> None:
    whole = generate_invoice(12).data
    with pytest.raises(CorruptDocument):
        load_document(whole[: len(whole) // 3], filename="cut.pdf", **LIMITS)


def test_pdf_magic_with_garbage_is_corrupt() -> None:
    with pytest.raises(CorruptDocument):
        load_document(b"%PDF-1.7\n" + bytes(range(256)) * 8, filename="junk.pdf", **LIMITS)


def test_unknown_bytes_are_unsupported() -> None:
    with pytest.raises(UnsupportedType):
        load_document(b"MZ\x90\x00" + b"\x00" * 100, filename="invoice.exe", **LIMITS)


def test_truncated_image_is_corrupt() -> None:
    png = generate_invoice(13, kind="scan_png", n_items=1).data
    with pytest.raises(DocumentError):
        load_document(png[:2000], filename="cut.png", max_bytes=10**8, max_pages=5, ocr=True)


PADDING = b"<!--" + b"x" * 70_000 + b"-->"  # pushes the DOCTYPE past a prefix-only check


def _xxe(secret: Path, padding: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0"?>'
        + padding
        + b'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file://'
        + str(secret).encode()
        + b'">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        b"<ID>&xxe;</ID></Invoice>"
    )


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><Invoice><ID>&lol9;</ID></Invoice>"
)


@pytest.mark.parametrize("padding", [b"", PADDING], ids=["plain", "after-64k-comment"])
def test_xml_external_entities_are_refused_and_no_file_is_read(tmp_path, padding) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-XYZZY")
    doc = load_document(_xxe(secret, padding), filename="evil.xml", **LIMITS)
    with pytest.raises(HostileDocument) as err:
        EInvoiceExtractor().extract(doc)
    assert "XYZZY" not in str(err.value) and "XYZZY" not in repr(err.value.details)


@pytest.mark.parametrize("padding", [b"", PADDING], ids=["plain", "after-64k-comment"])
def test_billion_laughs_is_refused(padding: bytes) -> None:
    xml = b'<?xml version="1.0"?>' + padding + LAUGHS
    doc = load_document(xml, filename="lol.xml", **LIMITS)
    with pytest.raises(HostileDocument):
        EInvoiceExtractor().extract(doc)


_PEAK = """
import json, sys
from tests.hostile.pdf_bombs import attachment_bomb, content_bomb
from core.extraction.document import load_document
data = {"attachment": attachment_bomb, "content": content_bomb}[sys.argv[1]](int(sys.argv[2]))
try:
    load_document(data, max_bytes=10**9, max_pages=10, ocr=False)
    error = None
except Exception as exc:
    error = type(exc).__name__
# VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (fork + exec).
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) // 1024
print(json.dumps({"error": error, "peak_mib": peak, "size": len(data)}))
"""


@pytest.mark.security
@pytest.mark.parametrize("kind", ["attachment", "content"])
def test_pdf_stream_and_attachment_bombs_are_refused_with_memory_bounded(kind: str) -> None:
    """Issue 11, F4: 1 MB that inflates to 1 GiB (an embedded factur-x.xml, a page's content)."""
    import json
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[3]
    run = subprocess.run(
        [sys.executable, "-c", _PEAK, kind, "1024"],
        cwd=repo,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["size"] < 2 * 1024 * 1024
    assert result["error"] == "HostileDocument"
    assert result["peak_mib"] < 400, result


@pytest.mark.security
def test_the_attachment_is_read_under_its_own_cap_and_a_clean_pdf_still_loads() -> None:
    from core.extraction.pdf_limits import scan_pdf
    from tests.hostile.pdf_bombs import attachment_bomb, text_pdf

    with pytest.raises(HostileDocument):
        scan_pdf(attachment_bomb(30))  # 30 MiB: under the stream cap, over the XML cap
    doc = load_document(text_pdf(), filename="clean.pdf", **LIMITS)
    assert "INV-BOMB-1" in doc.full_text and doc.embedded_xml is None


@pytest.mark.security
def test_ocr_stops_at_the_page_budget_before_any_page_is_read() -> None:
    """Issue 11, F15: 200 text-less pages cost minutes of OCR; the budget refuses them up front."""
    from core.errors import ExtractionBudgetExceeded

    blank = io.BytesIO()
    canvas = Canvas(blank, invariant=1)
    for _ in range(200):
        canvas.showPage()
    canvas.save()
    with pytest.raises(ExtractionBudgetExceeded) as err:  # raised before the first page's OCR
        load_document(blank.getvalue(), max_bytes=10**8, max_pages=200, max_ocr_pages=20)
    assert err.value.code == "extraction_budget_exceeded"
    assert err.value.details == {"budget": "ocr_pages", "limit": 20, "pages": 200}
    assert "200 of the 200 pages" in err.value.message
