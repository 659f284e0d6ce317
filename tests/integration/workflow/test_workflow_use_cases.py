"""Use cases against the real database: upload, process (in-line), review, export, tenancy."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import text

from core.errors import ApprovalBlocked, Conflict, Forbidden, InvalidTransition, NotFound
from core.workflow import clients, invoices, processing, reference, review, uploads
from core.workflow.invoices import InvoiceFilter
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, invoice_pdf

VENDORS_CSV = (
    b"vendor_code,name,vat_id,iban\n"
    b"V1,ACME Industrial Supplies GmbH,DE123456789,DE89370400440532013000\n"
    b"V2,Other Trading Ltd,,\n"
)


def _upload(services, user, client_id, *files):
    return uploads.upload_files(
        services=services,
        user=user,
        client_id=client_id,
        files=[UploadFile(name, data) for name, data in files],
        process=False,
    )


def _process(services, outcome, user):
    return processing.process_invoice(
        services=services, invoice_id=outcome.invoice_id, user_id=user.id
    )


def test_upload_process_review_export_round_trip(services, role_users):
    client = role_users
    operator = as_user(client.members["operator"])
    report = reference.import_reference(
        services=services, user=operator, client_id=client.id, kind="vendors", data=VENDORS_CSV
    )
    assert report.created == 2 and not report.errors

    pdf = invoice_pdf("INV-1")
    result = _upload(
        services,
        operator,
        client.id,
        ("a.pdf", pdf),
        ("again.pdf", pdf),  # same bytes -> duplicate, not stored twice
        ("evil.exe", b"MZ\x90\x00 not a document"),
    )
    statuses = [f.status for f in result.files]
    assert statuses == ["accepted", "duplicate", "rejected"]
    assert result.files[1].invoice_id == result.files[0].invoice_id
    assert result.files[2].error_code == "unsupported_type"

    outcome = _process(services, result.files[0], operator)
    assert outcome in ("needs_review", "approved")
    assert _process(services, result.files[0], operator).startswith("already:")  # idempotent

    inv = invoices.get_invoice(
        services=services, user=operator, invoice_id=result.files[0].invoice_id
    )
    assert inv.invoice_number == "INV-1"
    assert inv.matches and inv.matches[0].kind == "vendor"

    corrected = review.correct_fields(
        services=services,
        user=operator,
        invoice_id=inv.id,
        changes={"invoice_number": "INV-1A", "total": "119.00"},
        expected_version=inv.version,
    )
    assert corrected.invoice_number == "INV-1A" and corrected.status == "needs_review"
    with pytest.raises(Conflict):  # a second reviewer with the old version
        review.correct_fields(
            services=services,
            user=operator,
            invoice_id=inv.id,
            changes={"invoice_number": "LOST"},
            expected_version=inv.version,
        )
    # PO-1001 is not in the (empty) purchase-order list: the default approval policy blocks an
    # approval on the undecided PO match, and only an owner may approve over it, with a reason.
    with pytest.raises(ApprovalBlocked) as blocked:
        review.approve_invoice(
            services=services,
            user=operator,
            invoice_id=inv.id,
            expected_version=corrected.version,
        )
    assert [r["code"] for r in blocked.value.details["errors"]] == ["match.undecided"]
    approved = review.approve_invoice(
        services=services,
        user=as_user(client.members["owner"]),
        invoice_id=inv.id,
        expected_version=corrected.version,
        override_reason="PO-1001 confirmed by phone",
    )
    assert approved.status == "approved"

    data = invoices.export_invoices(
        services=services, user=operator, filters=InvoiceFilter(client_id=client.id), fmt="csv"
    )
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["Invoice number"] for r in rows] == ["INV-1A"]
    assert rows[0]["Client"] and rows[0]["Approved by"] == client.members["owner"].email
    assert rows[0]["Approval note"] == "PO-1001 confirmed by phone"
    # Exporting is a read; marking the exported invoices is its own step.
    assert invoices.get_invoice(services=services, user=operator, invoice_id=inv.id).status == (
        "approved"
    )
    done = invoices.mark_invoices_exported(services=services, user=operator, invoice_ids=[inv.id])
    assert done.marked == (inv.id,) and done.skipped == ()
    after = invoices.get_invoice(services=services, user=operator, invoice_id=inv.id)
    assert after.status == "exported"

    trail = invoices.audit_log(services=services, user=operator, invoice_id=inv.id)
    actions = [e.action for e in trail]
    assert actions[:1] == ["invoice.uploaded"]
    for needed in (
        "status.extracting",
        "status.extracted",
        "status.matched",
        "invoice.corrected",
        "approval.overridden",
        "status.exported",
    ):
        assert needed in actions
    extracted = next(e for e in trail if e.action == "status.extracted")
    assert extracted.meta["extractor"] and extracted.actor_id == operator.id
    corrected_event = next(e for e in trail if e.action == "invoice.corrected")
    assert corrected_event.before["invoice_number"] == "INV-1"
    assert corrected_event.after["invoice_number"] == "INV-1A"


def test_viewer_cannot_write_and_other_clients_see_nothing(
    services, role_users, make_user, make_client
):
    client = role_users
    operator = as_user(client.members["operator"])
    viewer = as_user(client.members["viewer"])
    outsider_user = make_user()
    make_client(outsider_user)
    outsider = as_user(outsider_user)

    result = _upload(services, operator, client.id, ("b.pdf", invoice_pdf("INV-2")))
    invoice_id = result.files[0].invoice_id
    with pytest.raises(Forbidden):
        _upload(services, viewer, client.id, ("c.pdf", invoice_pdf("INV-3")))
    with pytest.raises(NotFound):
        _upload(services, outsider, client.id, ("d.pdf", invoice_pdf("INV-4")))
    with pytest.raises(NotFound):
        invoices.get_invoice(services=services, user=outsider, invoice_id=invoice_id)
    with pytest.raises(NotFound):
        invoices.delete_invoice(services=services, user=outsider, invoice_id=invoice_id)
    rows, count = invoices.list_invoices(services=services, user=outsider, filters=InvoiceFilter())
    assert count == 0 and rows == []
    with pytest.raises(Forbidden):
        invoices.delete_invoice(services=services, user=viewer, invoice_id=invoice_id)
    with pytest.raises(InvalidTransition):  # received cannot be approved
        review.approve_invoice(services=services, user=operator, invoice_id=invoice_id)


def test_delete_removes_invoice_and_stored_file(services, role_users, engine):
    client = role_users
    operator = as_user(client.members["operator"])
    result = _upload(services, operator, client.id, ("e.pdf", invoice_pdf("INV-5")))
    f = result.files[0]
    invoices.delete_invoice(services=services, user=operator, invoice_id=f.invoice_id)
    with pytest.raises(NotFound):
        invoices.get_invoice(services=services, user=operator, invoice_id=f.invoice_id)
    with engine.connect() as conn:
        left = conn.execute(
            text("select count(*) from storage.objects where name like :p"),
            {"p": f"{client.id}/%"},
        ).scalar_one()
    assert left == 0
    # the same bytes can now be uploaded again
    again = _upload(services, operator, client.id, ("e.pdf", invoice_pdf("INV-5")))
    assert again.files[0].status == "accepted"


def test_members_last_owner_is_kept(services, role_users):
    client = role_users
    owner = as_user(client.members["owner"])
    with pytest.raises(Conflict):
        clients.remove_member(services=services, user=owner, client_id=client.id, user_id=owner.id)
    members = clients.list_members(services=services, user=owner, client_id=client.id)
    assert {m.role for m in members} == {"owner", "operator", "analyst", "viewer"}
    with pytest.raises(NotFound):  # new members are invited; only members change roles
        clients.set_member(
            services=services,
            user=owner,
            client_id=client.id,
            role="viewer",
            user_id=uuid.uuid4(),
        )
