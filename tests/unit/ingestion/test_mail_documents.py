"""Which parts of an e-mail are invoice documents (pure MIME parsing, no server)."""

from __future__ import annotations

from email.message import EmailMessage

from core.ingestion.mail_documents import documents_in, headers_of, parse_message

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
XML = b'<?xml version="1.0"?><CrossIndustryInvoice xmlns="urn:x"><a/></CrossIndustryInvoice>'


def _msg() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = '"Vendor, Billing" <billing@vendor.example.test>'
    msg["Subject"] = "=?utf-8?q?Rechnung_M=C3=A4rz?="
    msg["Message-ID"] = "<abc@vendor.example.test>"
    msg.set_content("Hello")
    return msg


def test_forwarded_invoices_are_found_inside_the_attached_message() -> None:
    inner = _msg()
    inner.add_attachment(PDF, maintype="application", subtype="pdf", filename="inner.pdf")
    outer = _msg()
    outer.add_attachment(inner)  # message/rfc822, as mail clients forward "as attachment"
    docs = documents_in(parse_message(outer.as_bytes()))
    assert [(d.filename, d.content_type) for d in docs] == [("inner.pdf", "application/pdf")]


def test_other_attachments_and_plain_bodies_are_not_documents() -> None:
    msg = _msg()
    msg.add_attachment(b"-----BEGIN PGP SIGNATURE-----", maintype="application",
                       subtype="pgp-signature", filename="signature.asc")  # fmt: skip
    msg.add_attachment(b"PK\x03\x04docx", maintype="application", subtype="octet-stream",
                       filename="terms.docx")  # fmt: skip
    msg.add_attachment(XML, maintype="application", subtype="octet-stream", filename="inv.dat")
    docs = documents_in(parse_message(msg.as_bytes()))
    assert [(d.index, d.filename, d.content_type) for d in docs] == [
        (1, "inv.dat", "application/xml")
    ]


def test_headers_are_decoded_and_malformed_ones_tolerated() -> None:
    head = headers_of(parse_message(_msg().as_bytes()))
    assert head.sender == "billing@vendor.example.test"
    assert head.subject == "Rechnung März"
    assert head.message_id == "<abc@vendor.example.test>"
    broken = headers_of(parse_message(b"From: <<<>>>\r\nSubject:\r\n\r\nbody"))
    assert broken.sender is None and broken.subject == "" and broken.message_id is None
