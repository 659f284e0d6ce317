"""The invoice documents inside one e-mail: PDF, image and XML attachments, e-invoice XML bodies.

Pure functions over the raw RFC 5322 bytes (``email`` with the modern policy). What counts:

- any attachment whose bytes are a PDF, PNG, JPEG, TIFF or XML document (sniffed, not trusted
  from the declared type or name); images embedded in an HTML body (``inline`` with a
  ``Content-ID``: logos, signatures) are not invoices and are skipped;
- an XML body part (``application/xml``, ``text/xml``) and a plain-text body that *is* an
  e-invoice (root element ``Invoice``, ``CreditNote``, ``CrossIndustryInvoice`` or
  ``CrossIndustryDocument``), as senders of XRechnung sometimes mail it.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage

from core.errors import EmptyDocument, UnsupportedType
from core.extraction.document import JPEG, PDF, PNG, TIFF, XML, sniff_media_type

TAKEN_TYPES = frozenset({PDF, PNG, JPEG, TIFF, XML})
IMAGE_TYPES = frozenset({PNG, JPEG, TIFF})
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", TIFF: "tif", XML: "xml"}
_EINVOICE_ROOT = re.compile(
    rb"<(?:[\w.-]+:)?(Invoice|CreditNote|CrossIndustryInvoice|CrossIndustryDocument)[\s>]"
)


@dataclass(frozen=True)
class MailDocument:
    """One document taken from a message, in message order."""

    index: int  # 1-based among the documents of the message
    filename: str
    content_type: str  # the sniffed media type
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class MailHeaders:
    """Who sent a message, about what, and its identity."""

    message_id: str | None
    sender: str | None  # the From address
    subject: str
    date: str | None


def parse_message(raw: bytes) -> EmailMessage:
    """The message parsed with the modern policy (decoded headers, ``iter_attachments``)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def headers_of(msg: EmailMessage) -> MailHeaders:
    """Sender address, subject, Message-ID and date of a parsed message (defects tolerated)."""

    def header(name: str) -> str | None:
        try:
            value = msg.get(name)
        except (ValueError, IndexError, TypeError):  # malformed header: keep going without it
            return None
        return " ".join(str(value).split()) or None if value is not None else None

    sender = email.utils.parseaddr(header("From") or "")[1] or None
    return MailHeaders(
        message_id=header("Message-ID"),
        sender=sender,
        subject=header("Subject") or "",
        date=header("Date"),
    )


def _payload(part: EmailMessage) -> bytes | None:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, LookupError):
        return None
    return data if isinstance(data, bytes) and data else None


def _media_type(data: bytes) -> str | None:
    try:
        media = sniff_media_type(data)
    except (UnsupportedType, EmptyDocument):
        return None
    return media if media in TAKEN_TYPES else None


def documents_in(msg: EmailMessage) -> list[MailDocument]:
    """The documents of a message (see the module docstring for what counts)."""
    found: list[MailDocument] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        assert isinstance(part, EmailMessage)
        disposition = part.get_content_disposition()  # "attachment" | "inline" | None
        content_type = part.get_content_type()
        filename = part.get_filename()
        data = _payload(part)
        if data is None:
            continue
        if disposition != "attachment" and not filename:
            # A body part: only XML, or plain text that is an e-invoice, is a document.
            xml_body = content_type in ("application/xml", "text/xml")
            if not (xml_body or (content_type == "text/plain" and _EINVOICE_ROOT.search(data))):
                continue
        media = _media_type(data)
        if media is None:
            continue
        if media in IMAGE_TYPES and disposition == "inline" and part.get("Content-ID"):
            continue  # an image the HTML body shows (logo, signature), not an attachment
        index = len(found) + 1
        name = filename or f"document-{index}.{EXTENSIONS[media]}"
        found.append(MailDocument(index=index, filename=name, content_type=media, data=data))
    return found
