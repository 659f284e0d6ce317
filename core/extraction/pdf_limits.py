"""PDF streams and attachments inflated under hard caps, before PDFium reads the file.

A PDF of a megabyte can carry a stream or an embedded ``factur-x.xml`` that inflates to gigabytes
(issue 11, F4); PDFium inflates whatever it is asked for, attachments included, with no cap. So
every stream is first inflated by pypdf under its decoder limits (``pypdf.apply_configuration``:
every filter stops with ``LimitReachedError`` at the cap) and thrown away again, and the e-invoice
attachment is taken from here, under a cap of its own, never from PDFium.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from core.errors import HostileDocument

log = logging.getLogger(__name__)

# One stream: room for an A4 scan at 600 dpi in RGB (104 MB), not for a bomb.
MAX_STREAM_BYTES = 128 * 1024 * 1024
# An e-invoice attachment is read as XML, whose limit is 20 MiB (einvoice_xml.MAX_XML_BYTES).
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Embedded e-invoice attachment names (Factur-X, ZUGFeRD 1/2, XRechnung), lower-cased.
EINVOICE_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")


@dataclass(frozen=True)
class PdfScan:
    """What the bounded pass found: the e-invoice attachment, and whether pypdf could read."""

    embedded_xml: bytes | None = None
    embedded_xml_name: str | None = None
    warnings: tuple[str, ...] = field(default=())


def _caps(limit: int) -> dict[str, Any]:
    return {
        "zlib_maximum_output_length": limit,
        "lzw_maximum_output_length": limit,
        "run_length_maximum_output_length": limit,
        "array_based_stream_maximum_output_length": limit,
        "jbig2_maximum_output_length": limit,
        "image_maximum_buffer_size": limit,
    }


def scan_pdf(
    data: bytes,
    *,
    max_stream_bytes: int = MAX_STREAM_BYTES,
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
) -> PdfScan:
    """Inflate every stream under ``max_stream_bytes``; return the e-invoice attachment.

    ``HostileDocument`` when any stream or attachment passes its cap. A file pypdf cannot parse
    is left to PDFium (which reports damage in its own terms) but yields no attachment: an
    attachment is only ever read under a cap.
    """
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return PdfScan()  # PDFium refuses it as password-protected
        with apply_configuration(**_caps(max_attachment_bytes)):
            xml, name = _einvoice_attachment(reader, max_attachment_bytes)
        with apply_configuration(**_caps(max_stream_bytes)):
            for stream in _streams(reader):
                _inflate_and_drop(stream, max_stream_bytes)
    except LimitReachedError as exc:
        raise HostileDocument(
            "the PDF contains a stream or attachment that inflates beyond the limit "
            "(a decompression bomb)"
        ) from exc
    except HostileDocument:
        raise
    except Exception as exc:  # pypdf raises many kinds for damaged files; PDFium judges them
        log.info("pypdf could not scan the PDF (%s); no attachment read", type(exc).__name__)
        return PdfScan(warnings=(f"pdf_scan_failed:{type(exc).__name__}",))
    return PdfScan(embedded_xml=xml, embedded_xml_name=name)


def _einvoice_attachment(reader: Any, limit: int) -> tuple[bytes | None, str | None]:
    """The Factur-X/ZUGFeRD/XRechnung attachment by its standard name, else any XML invoice."""
    fallback: tuple[bytes | None, str | None] = (None, None)
    for attachment in reader.attachment_list:
        name = str(attachment.name or "")
        if not name.lower().endswith(".xml"):
            continue
        blob = bytes(attachment.content)
        if len(blob) > limit:
            raise HostileDocument(f"the attachment {name[:80]!r} is larger than {limit} bytes")
        if name.lower() in EINVOICE_NAMES:
            return blob, name
        if fallback[0] is None and (b"CrossIndustry" in blob[:4096] or b"<Invoice" in blob[:4096]):
            fallback = (blob, name)
    return fallback


def _streams(reader: Any) -> Iterator[Any]:
    from pypdf.generic import IndirectObject, StreamObject

    for generation, table in list(reader.xref.items()):
        for number in list(table):
            obj = reader.get_object(IndirectObject(number, generation, reader))
            if isinstance(obj, StreamObject):
                yield obj


def _inflate_and_drop(stream: Any, limit: int) -> None:
    """Decode one stream under the caps and forget the result (pypdf would keep it cached)."""
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data

    try:
        decoded = decode_stream_data(stream)
    except LimitReachedError:
        raise
    except Exception:  # an odd filter pypdf cannot decode is PDFium's business
        return
    if decoded is not None and len(decoded) > limit:
        raise HostileDocument(f"a PDF stream inflates to more than {limit} bytes")
