"""Per-client mailboxes end to end over a real Dovecot and the real database (issue 17, item 4):
configured by an owner (the password encrypted, never shown), polled by the worker's task as
the mailbox's service principal, the SeenStore in the database, failures logged and filed."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.bootstrap import build_services
from core.demo.synthetic_invoices import generate_invoice
from core.errors import Forbidden, UnsafeTarget
from core.workflow import mailboxes
from core.workflow.transitions import worker_user
from tests.integration.ingestion.test_imap_mailbox import deliver, folder, mail


@pytest.fixture
def services(test_settings, engine):
    built = build_services(
        test_settings.model_copy(update={"allow_loopback_targets": True}), engine=engine
    )
    yield built
    built.close()


def _box(services, owner, client_id, dovecot, user, **extra):
    return mailboxes.create_mailbox(
        services=services, user=worker_user(owner.id, owner.email), client_id=client_id,
        name="AP inbox", host="127.0.0.1", port=dovecot.port, security="none", username=user,
        password=dovecot.password, **extra,
    )  # fmt: skip


def test_a_polled_mailbox_uploads_as_its_principal_once_and_logs_failures(
    dovecot, mailbox_user, services, engine, make_user, make_client
):
    owner = make_user()
    client = make_client(owner)
    box = _box(services, owner, client.id, dovecot, mailbox_user)
    with engine.connect() as conn:
        stored = conn.execute(
            text("select password_ciphertext from public.mailboxes where id = :i"), {"i": box.id}
        ).scalar_one()
    assert dovecot.password not in stored
    pdf_a, pdf_b = (generate_invoice(s, kind="pdf").data for s in (501, 502))
    two = mail("<p1@vendor.example.test>", subject="Two invoices")
    two.add_attachment(pdf_a, maintype="application", subtype="pdf", filename="a.pdf")
    two.add_attachment(pdf_b, maintype="application", subtype="pdf", filename="b.pdf")
    empty = mail("<p2@vendor.example.test>", subject="Just saying hi")
    for m in (two, empty):
        deliver(dovecot, mailbox_user, m)

    counts = mailboxes.poll_due(services)
    assert counts == {"processed": 1, "failed": 1}
    with engine.connect() as conn:
        rows = conn.execute(
            text("select f.original_name, i.created_by from public.invoices i"
                 " join public.files f on f.id = i.file_id where i.client_id = :c"
                 " order by f.original_name"),
            {"c": client.id},
        ).all()  # fmt: skip
        seen = conn.execute(
            text("select count(*) from public.mailbox_seen where mailbox_id = :m"), {"m": box.id}
        ).scalar_one()
    assert [r[0] for r in rows] == ["a.pdf", "b.pdf"]
    assert {r[1] for r in rows} == {box.principal_id}  # uploaded as the mailbox's principal
    assert seen >= 3  # two documents and the message, in the database
    assert [m for m, _ in folder(dovecot, mailbox_user, "InvoiceFlow-Failed")] == [
        "<p2@vendor.example.test>"
    ]

    owner_user = worker_user(owner.id, owner.email)
    failed = mailboxes.list_messages(
        services=services, user=owner_user, client_id=client.id, mailbox_id=box.id,
        outcome="failed",
    )  # fmt: skip
    assert [(m.subject, m.reason.split(":")[0]) for m in failed] == [
        ("Just saying hi", "no_documents")
    ]
    listed = mailboxes.list_mailboxes(services=services, user=owner_user, client_id=client.id)
    assert listed[0].last_error is None and listed[0].last_counts == counts

    # Not due again yet; forced, it finds nothing new and takes nothing twice.
    assert mailboxes.poll_due(services) == {}
    deliver(dovecot, mailbox_user, two.as_bytes())  # the same message again
    assert mailboxes.poll_due(services, mailbox_id=box.id) == {"already_done": 1}
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from public.invoices where client_id = :c"),
                            {"c": client.id}).scalar_one() == 2  # fmt: skip


def test_a_wrong_password_is_reported_and_mail_stays(
    dovecot, mailbox_user, services, make_user, make_client
):
    owner = make_user()
    client = make_client(owner)
    box = _box(services, owner, client.id, dovecot, mailbox_user)
    owner_user = worker_user(owner.id, owner.email)
    mailboxes.update_mailbox(services=services, user=owner_user, client_id=client.id,
                             mailbox_id=box.id, password="wrong")  # fmt: skip
    deliver(dovecot, mailbox_user, mail("<w1@vendor.example.test>", subject="Waiting"))
    assert mailboxes.poll_due(services, mailbox_id=box.id) == {}
    listed = mailboxes.list_mailboxes(services=services, user=owner_user, client_id=client.id)
    assert listed[0].last_error and "sign in" in listed[0].last_error
    assert [m for m, _ in folder(dovecot, mailbox_user, "INBOX")] == ["<w1@vendor.example.test>"]


def test_only_owners_configure_and_private_hosts_are_refused(
    dovecot, services, make_user, make_client
):
    owner, operator = make_user(), make_user()
    client = make_client(owner, {"operator": operator})
    with pytest.raises(Forbidden):
        _box(services, operator, client.id, dovecot, "box39@example.test")
    strict = build_services(services.settings.model_copy(update={"allow_loopback_targets": False}),
                            engine=services.engine)  # fmt: skip
    try:
        for host in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "localhost"):
            with pytest.raises(UnsafeTarget):
                mailboxes.create_mailbox(
                    services=strict, user=worker_user(owner.id), client_id=client.id,
                    name="x", host=host, port=993, security="ssl", username="u", password="p",
                )  # fmt: skip
    finally:
        strict.close()


def test_a_mailbox_being_polled_is_not_polled_by_a_second_worker_at_once(
    dovecot, mailbox_user, services, engine, make_user, make_client
):
    from core.db import mailbox_repo

    owner = make_user()
    client = make_client(owner)
    box = _box(services, owner, client.id, dovecot, mailbox_user)
    message = mail("<l1@vendor.example.test>", subject="One")
    message.add_attachment(generate_invoice(503, kind="pdf").data, maintype="application",
                           subtype="pdf", filename="l.pdf")  # fmt: skip
    deliver(dovecot, mailbox_user, message)
    with mailbox_repo.poll_lock(engine, box.id) as mine:  # another worker's poll in progress
        assert mine
        assert mailboxes.poll_due(services, mailbox_id=box.id) == {}
    assert mailboxes.poll_due(services, mailbox_id=box.id) == {"processed": 1}
