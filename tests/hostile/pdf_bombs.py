"""Hostile PDFs built from scratch: a page with text plus a stream that inflates enormously.

Deflate tops out near 1:1032, so a ``inflated_mb`` bomb costs about ``inflated_mb`` KB on disk.
The file is written by hand (objects, xref, trailer) because no PDF library would build a 1 GB
stream without holding it in memory.
"""

from __future__ import annotations

import zlib

CHUNK = b"\0" * (1024 * 1024)


def _deflate_zeros(megabytes: int, prefix: bytes = b"") -> bytes:
    packer = zlib.compressobj(9)
    out = [packer.compress(prefix)]
    for _ in range(megabytes):
        out.append(packer.compress(CHUNK))
    out.append(packer.flush())
    return b"".join(out)


def _pdf(objects: list[bytes]) -> bytes:
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        body += b"%010d 00000 n \n" % offset
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(body)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


TEXT = b"BT /F1 12 Tf 72 720 Td (Invoice INV-BOMB-1 Total 100.00 EUR) Tj ET"


def attachment_bomb(inflated_mb: int) -> bytes:
    """A one-page invoice PDF whose embedded ``factur-x.xml`` inflates to ``inflated_mb`` MiB."""
    xml = _deflate_zeros(inflated_mb, prefix=b'<?xml version="1.0"?><rsm:CrossIndustryInvoice>')
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R"
            b" /Names << /EmbeddedFiles << /Names [(factur-x.xml) 4 0 R] >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R"
            b" /Resources << /Font << /F1 7 0 R >> >> >>",
            b"<< /Type /Filespec /F (factur-x.xml) /UF (factur-x.xml) /EF << /F 5 0 R >> >>",
            _stream(b"/Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode", xml),
            _stream(b"", TEXT),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def content_bomb(inflated_mb: int) -> bytes:
    """A one-page PDF whose page content stream inflates to ``inflated_mb`` MiB of zeros."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(b"/Filter /FlateDecode", _deflate_zeros(inflated_mb, prefix=TEXT + b"\n%")),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def text_pdf() -> bytes:
    """The same one-page invoice without any bomb (the control)."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(b"", TEXT),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )
