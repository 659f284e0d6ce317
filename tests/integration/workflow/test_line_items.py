"""Correcting line items: replaced, audited with before/after, version-checked, role-checked."""

from __future__ import annotations

import pytest

from core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from core.workflow import invoices, line_items, processing, review, uploads
from core.workflow.uploads import UploadFile
from tests.approval_helpers import lenient_policy
from tests.integration.workflow.conftest import as_user, invoice_pdf


def _processed(services, user, client_id, number):
    result = uploads.upload_files(
        services=services,
        user=user,
        client_id=client_id,
        files=[UploadFile(f"{number}.pdf", invoice_pdf(number))],
        process=False,
    )
    invoice_id = result.files[0].invoice_id
    processing.process_invoice(services=services, invoice_id=invoice_id, user_id=user.id)
    return invoices.get_invoice(services=services, user=user, invoice_id=invoice_id)


def test_lines_are_replaced_and_the_change_is_audited(services, role_users) -> None:
    operator = as_user(role_users.members["operator"])
    invoice = _processed(services, operator, role_users.id, "L-1")
    new = [
        {"description": "Widgets", "quantity": "2", "unit_price": "50", "amount": "100.00"},
        {"description": "", "quantity": None, "unit_price": None, "amount": float("nan")},
        {"description": "Freight", "quantity": 1, "unit_price": 19.0, "amount": 19.0},
    ]
    updated = line_items.correct_lines(
        services=services,
        user=operator,
        invoice_id=invoice.id,
        lines=new,
        expected_version=invoice.version,
    )
    assert updated.status == "needs_review"
    stored = invoices.list_lines(services=services, user=operator, invoice_id=invoice.id)
    assert [(line.line_no, line.description, float(line.amount)) for line in stored] == [
        (1, "Widgets", 100.0),
        (2, "Freight", 19.0),
    ]
    trail = invoices.audit_log(services=services, user=operator, invoice_id=invoice.id)
    event = next(e for e in trail if e.action == "invoice.lines_corrected")
    assert len(event.meta["lines_after"]) == 2


def test_stale_version_bad_number_viewer_and_final_status_are_refused(services, role_users) -> None:
    operator = as_user(role_users.members["operator"])
    invoice = _processed(services, operator, role_users.id, "L-2")
    args = {"services": services, "invoice_id": invoice.id}
    with pytest.raises(ValidationFailed):
        line_items.correct_lines(
            **args, user=operator, lines=[{"amount": "ten"}], expected_version=invoice.version
        )
    with pytest.raises(Forbidden):
        line_items.correct_lines(
            **args,
            user=as_user(role_users.members["viewer"]),
            lines=[],
            expected_version=invoice.version,
        )
    line_items.correct_lines(**args, user=operator, lines=[], expected_version=invoice.version)
    with pytest.raises(Conflict):
        line_items.correct_lines(**args, user=operator, lines=[], expected_version=invoice.version)
    lenient_policy(services.engine, role_users.id)  # the stub's invoice has no known vendor
    review.approve_invoice(services=services, user=operator, invoice_id=invoice.id)
    current = invoices.get_invoice(services=services, user=operator, invoice_id=invoice.id)
    with pytest.raises(InvalidTransition):
        line_items.correct_lines(**args, user=operator, lines=[], expected_version=current.version)
