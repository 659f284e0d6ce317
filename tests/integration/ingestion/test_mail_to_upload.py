"""Mailbox to invoices: the upload callback over a real Dovecot and the real database."""

from __future__ import annotations

from sqlalchemy import text

from core.bootstrap import build_services
from core.demo.synthetic_invoices import generate_invoice
from core.ingestion.imap_mailbox import ImapMailbox
from core.workflow.mail_intake import upload_callback
from core.workflow.transitions import worker_user
from tests.integration.ingestion.test_imap_mailbox import config, deliver, folder, mail


def test_mailed_invoices_become_uploads_once_and_bad_files_are_refused(
    dovecot, mailbox_user, test_settings, engine, make_user, make_client
):
    owner = make_user()
    client = make_client(owner)
    services = build_services(test_settings, engine=engine)
    try:
        pdf_a, pdf_b = (
            generate_invoice(401, kind="pdf").data,
            generate_invoice(402, kind="pdf").data,
        )
        first = mail("<m1@vendor.example.test>", subject="Invoices March")
        first.add_attachment(pdf_a, maintype="application", subtype="pdf", filename="a.pdf")
        first.add_attachment(pdf_b, maintype="application", subtype="pdf", filename="b.pdf")
        resent = mail("<m2@vendor.example.test>", subject="Resent")
        resent.add_attachment(pdf_a, maintype="application", subtype="pdf", filename="a.pdf")
        broken = mail("<m3@vendor.example.test>", subject="Broken")
        broken.add_attachment(b"%PDF-1.7 not really", maintype="application", subtype="pdf",
                              filename="x.pdf")  # fmt: skip
        for m in (first, resent, broken):
            deliver(dovecot, mailbox_user, m)

        callback = upload_callback(
            services=services, user=worker_user(owner.id, owner.email), client_id=client.id
        )
        report = ImapMailbox(config(dovecot, mailbox_user)).poll(callback)

        assert [m.outcome for m in report.messages] == ["processed", "processed", "failed"]
        assert report.messages[1].documents[0].reason.startswith("already uploaded as invoice")
        assert report.messages[2].reason.startswith("refused: x.pdf: corrupt_document")
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "select f.original_name, b.name from public.invoices i"
                    " join public.files f on f.id = i.file_id"
                    " join public.batches b on b.id = i.batch_id"
                    " where i.client_id = :c order by f.original_name"
                ),
                {"c": client.id},
            ).all()
        assert [r[0] for r in rows] == ["a.pdf", "b.pdf"]  # one invoice per document, no double
        assert rows[0][1] == "E-mail from billing@vendor.example.test: Invoices March"
        assert [m for m, _ in folder(dovecot, mailbox_user, "InvoiceFlow-Failed")] == [
            "<m3@vendor.example.test>"
        ]
    finally:
        services.close()
