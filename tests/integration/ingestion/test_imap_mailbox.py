"""The IMAP adapter against a real Dovecot: what it takes, where it files mail, never twice."""

from __future__ import annotations

import dataclasses
import hashlib
import imaplib
import re
from email.message import EmailMessage

import pytest

from core.demo.synthetic_invoices import generate_invoice
from core.errors import UpstreamError
from core.ingestion.imap_mailbox import (
    Accepted,
    ImapMailbox,
    MailboxConfig,
    MemorySeenStore,
    Refused,
)
from tests.integration.ingestion.dovecot import Dovecot

PDF = generate_invoice(301, kind="pdf").data
PNG = generate_invoice(302, kind="scan_png").data
UBL = b"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>UBL-7</cbc:ID><cbc:IssueDate>2024-03-01</cbc:IssueDate></Invoice>
"""
LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def config(dovecot: Dovecot, user: str, **kw) -> MailboxConfig:
    return MailboxConfig(
        host="127.0.0.1",
        port=dovecot.port,
        username=user,
        password=dovecot.password,
        security="none",  # loopback test server only
        timeout_seconds=10,
        **kw,
    )


def imap(dovecot: Dovecot, user: str) -> imaplib.IMAP4:
    conn = imaplib.IMAP4("127.0.0.1", dovecot.port, timeout=10)
    conn.login(user, dovecot.password)
    return conn


def deliver(dovecot: Dovecot, user: str, msg: EmailMessage | bytes, flags: str = "") -> None:
    conn = imap(dovecot, user)
    try:
        raw = msg if isinstance(msg, bytes) else msg.as_bytes()
        typ, data = conn.append("INBOX", f"({flags})" if flags else None, None, raw)
        assert typ == "OK", data
    finally:
        conn.logout()


def folder(dovecot: Dovecot, user: str, name: str) -> list[tuple[str, set[str]]]:
    """(Message-ID, flags) of every message in a folder."""
    conn = imap(dovecot, user)
    try:
        typ, data = conn.select(f'"{name}"', readonly=True)
        if typ != "OK" or int(data[0]) == 0:
            return []
        _, data = conn.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        out = []
        for item in data:
            if isinstance(item, tuple):
                flags = set(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split())
                mid = item[1].decode().partition(":")[2].strip()
                out.append((mid, flags))
        return out
    finally:
        conn.logout()


def mail(
    message_id: str | None, subject: str = "Invoice", body: str = "see attached"
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Billing Dept <billing@vendor.example.test>"
    msg["To"] = "invoices@client.example.test"
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg


class Recorder:
    """The callback: records what it was handed; answers with ``answer(filename)``."""

    def __init__(self, answer=None):
        self.calls: list[tuple[str, str, str, object]] = []
        self.answer = answer or (lambda name: Accepted())

    def __call__(self, data, filename, content_type, meta):
        self.calls.append((filename, content_type, hashlib.sha256(data).hexdigest(), meta))
        return self.answer(filename)


def test_takes_pdf_image_and_xml_attachments_and_xml_bodies(dovecot, mailbox_user, message_id):
    a = mail(message_id, subject="Rechnung März")
    a.add_alternative('<p>logo <img src="cid:logo1"></p>', subtype="html")
    a.get_payload()[1].add_related(LOGO, "image", "png", cid="<logo1>")  # inline logo: skipped
    a.add_attachment(PDF, maintype="application", subtype="pdf", filename="inv 1.pdf")
    a.add_attachment(PNG, maintype="application", subtype="octet-stream", filename="scan.bin")
    deliver(dovecot, mailbox_user, a)
    b = EmailMessage()
    b["From"], b["Subject"], b["Message-ID"] = "erp@vendor.example.test", "XRechnung", "<b@x>"
    b.set_content(UBL, maintype="application", subtype="xml")
    deliver(dovecot, mailbox_user, b)
    c = mail("<c@x>", subject="UBL as text", body=UBL.decode())
    deliver(dovecot, mailbox_user, c)

    got = Recorder()
    report = ImapMailbox(config(dovecot, mailbox_user)).poll(got)

    assert [(name, ctype) for name, ctype, _, _ in got.calls] == [
        ("inv 1.pdf", "application/pdf"),
        ("scan.bin", "image/png"),  # sniffed, not trusted from the declared type
        ("document-1.xml", "application/xml"),
        ("document-1.xml", "application/xml"),
    ]
    assert got.calls[0][2] == hashlib.sha256(PDF).hexdigest()
    meta = got.calls[0][3]
    assert (meta.sender, meta.subject, meta.message_id) == (
        "billing@vendor.example.test",
        "Rechnung März",
        message_id,
    )
    assert meta.uid > 0 and meta.uidvalidity > 0 and meta.folder == "INBOX"
    assert [m.outcome for m in report.messages] == ["processed"] * 3
    assert folder(dovecot, mailbox_user, "INBOX") == []
    processed = folder(dovecot, mailbox_user, "InvoiceFlow-Processed")
    assert [mid for mid, _ in processed] == [message_id, "<b@x>", "<c@x>"]
    assert all("$IFDone" in flags for _, flags in processed)


def test_a_message_without_documents_is_filed_as_failed_with_its_reason(dovecot, mailbox_user):
    deliver(dovecot, mailbox_user, mail("<nodoc@x>", body="Please pay soon."))
    got = Recorder()
    report = ImapMailbox(config(dovecot, mailbox_user)).poll(got)
    assert got.calls == []
    assert report.messages[0].outcome == "failed"
    assert report.messages[0].reason.startswith("no_documents")
    [(mid, flags)] = folder(dovecot, mailbox_user, "InvoiceFlow-Failed")
    assert mid == "<nodoc@x>" and "$IFNoDocuments" in flags


def test_refused_documents_file_the_message_as_failed_unless_one_was_taken(dovecot, mailbox_user):
    all_bad = mail("<bad@x>")
    all_bad.add_attachment(PDF, maintype="application", subtype="pdf", filename="a.pdf")
    some_bad = mail("<some@x>")
    some_bad.add_attachment(PDF, maintype="application", subtype="pdf", filename="a.pdf")
    some_bad.add_attachment(UBL, maintype="application", subtype="xml", filename="b.xml")
    deliver(dovecot, mailbox_user, all_bad)
    deliver(dovecot, mailbox_user, some_bad)
    got = Recorder(lambda name: Refused("not an invoice") if name == "a.pdf" else Accepted())
    report = ImapMailbox(config(dovecot, mailbox_user)).poll(got)
    assert [m.outcome for m in report.messages] == ["failed", "processed"]
    assert report.messages[0].reason == "refused: a.pdf: not an invoice"
    assert [d.outcome for d in report.messages[1].documents] == ["refused", "accepted"]
    [(mid, flags)] = folder(dovecot, mailbox_user, "InvoiceFlow-Failed")
    assert mid == "<bad@x>" and "$IFRefused" in flags
    assert [m for m, _ in folder(dovecot, mailbox_user, "InvoiceFlow-Processed")] == ["<some@x>"]


def test_the_same_message_is_never_taken_twice(dovecot, mailbox_user):
    """Same Message-ID delivered twice (and an identical message without one): one hand-over."""
    twice = mail("<twice@x>")
    twice.add_attachment(PDF, maintype="application", subtype="pdf", filename="t.pdf")
    no_id = mail(None, subject="no id")
    no_id.add_attachment(UBL, maintype="application", subtype="xml", filename="n.xml")
    box = ImapMailbox(config(dovecot, mailbox_user), MemorySeenStore())
    got = Recorder()
    deliver(dovecot, mailbox_user, twice)
    deliver(dovecot, mailbox_user, no_id.as_bytes())
    box.poll(got)
    deliver(dovecot, mailbox_user, twice)  # a re-delivery, new UID
    deliver(dovecot, mailbox_user, no_id.as_bytes())
    report = box.poll(got)
    assert [name for name, *_ in got.calls] == ["t.pdf", "n.xml"]
    assert [m.outcome for m in report.messages] == ["already_done", "already_done"]
    assert len(folder(dovecot, mailbox_user, "InvoiceFlow-Processed")) == 4  # nothing lost
    assert box.poll(got).messages == []  # and the inbox stays empty


def test_a_failing_callback_resumes_without_doubles_and_gives_up_after_three_polls(
    dovecot, mailbox_user
):
    msg = mail("<flaky@x>")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="1.pdf")
    msg.add_attachment(UBL, maintype="application", subtype="xml", filename="2.xml")
    deliver(dovecot, mailbox_user, msg)
    box = ImapMailbox(config(dovecot, mailbox_user))
    state = {"down": True}

    def answer(name):
        if name == "2.xml" and state["down"]:
            raise ConnectionError("database is restarting")
        return Accepted()

    got = Recorder(answer)
    first = box.poll(got)
    assert first.messages[0].outcome == "retry"
    assert [m for m, _ in folder(dovecot, mailbox_user, "INBOX")] == ["<flaky@x>"]  # kept
    state["down"] = False
    second = box.poll(got)
    assert second.messages[0].outcome == "processed"
    assert [name for name, *_ in got.calls] == ["1.pdf", "2.xml", "2.xml"]  # 1.pdf once
    assert [d.outcome for d in second.messages[0].documents] == ["skipped", "accepted"]

    poison = mail("<poison@x>")
    poison.add_attachment(PDF, maintype="application", subtype="pdf", filename="p.pdf")
    deliver(dovecot, mailbox_user, poison)

    def broken(data, filename, content_type, meta):
        raise RuntimeError("bug")

    outcomes = [box.poll(broken).messages[0].outcome for _ in range(3)]
    assert outcomes == ["retry", "retry", "failed"]
    [(mid, flags)] = folder(dovecot, mailbox_user, "InvoiceFlow-Failed")
    assert mid == "<poison@x>" and "$IFError" in flags


def test_too_large_messages_are_filed_unread(dovecot, mailbox_user):
    big = mail("<big@x>")
    big.add_attachment(PDF, maintype="application", subtype="pdf", filename="big.pdf")
    deliver(dovecot, mailbox_user, big)
    got = Recorder()
    report = ImapMailbox(config(dovecot, mailbox_user, max_message_bytes=1000)).poll(got)
    assert got.calls == [] and report.messages[0].reason.startswith("too_large")
    assert "$IFTooLarge" in folder(dovecot, mailbox_user, "InvoiceFlow-Failed")[0][1]


def test_a_message_flagged_done_by_an_earlier_worker_is_only_moved(dovecot, mailbox_user):
    """The move failed after the hand-over (flag set, then a crash): a new worker with an empty
    memory must not hand it over again."""
    msg = mail("<flagged@x>")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="f.pdf")
    deliver(dovecot, mailbox_user, msg, flags="$IFDone")
    got = Recorder()
    report = ImapMailbox(config(dovecot, mailbox_user), MemorySeenStore()).poll(got)
    assert got.calls == [] and report.messages[0].outcome == "already_done"
    assert [m for m, _ in folder(dovecot, mailbox_user, "InvoiceFlow-Processed")] == ["<flagged@x>"]


def test_mail_survives_a_server_restart_and_errors_are_typed(dovecot, mailbox_user):
    msg = mail("<restart@x>")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="r.pdf")
    deliver(dovecot, mailbox_user, msg)
    dovecot.restart()
    got = Recorder()
    assert ImapMailbox(config(dovecot, mailbox_user)).poll(got).count("processed") == 1
    wrong = MailboxConfig(
        host="127.0.0.1",
        port=dovecot.port,
        username=mailbox_user,
        password="wrong",
        security="none",
        timeout_seconds=5,
    )
    with pytest.raises(UpstreamError):
        ImapMailbox(wrong).poll(got)
    dovecot.stop()
    try:
        with pytest.raises(UpstreamError):
            ImapMailbox(config(dovecot, mailbox_user)).poll(got)
    finally:
        dovecot.start()


def test_the_connection_goes_to_the_checked_address_not_to_the_name_again(
    dovecot: Dovecot, mailbox_user: str
) -> None:
    """The poll connects to the address the host was checked at; the name is not resolved a
    second time (a DNS answer changed after the check cannot steer the connection)."""
    local = config(dovecot, mailbox_user)
    pinned = dataclasses.replace(local, host="imap.invalid", address="127.0.0.1")
    with ImapMailbox(pinned).connect() as conn:
        assert conn.noop()[0] == "OK"
    unpinned = ImapMailbox(dataclasses.replace(local, host="imap.invalid"))
    # without the checked address the name is resolved (and this one resolves nowhere)
    with pytest.raises(UpstreamError), unpinned.connect():
        pass
