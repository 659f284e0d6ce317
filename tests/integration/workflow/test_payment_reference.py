"""payment_reference: a reviewer sets it through the correction door (audited, version-checked);
nobody writes it by table access, and readers see it on the invoice."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db.session import user_session
from core.errors import Forbidden, ValidationFailed
from core.workflow import invoices, review
from tests.integration.workflow.conftest import as_user, invoice_pdf
from tests.integration.workflow.test_workflow_use_cases import _process, _upload


def _in_review(services, client, number):
    operator = as_user(client.members["operator"])
    upload = _upload(services, operator, client.id, (f"{number}.pdf", invoice_pdf(number)))
    _process(services, upload.files[0], operator)
    invoice = invoices.get_invoice(
        services=services, user=operator, invoice_id=upload.files[0].invoice_id
    )
    if invoice.status == "approved":  # the trust ladder approved it
        invoice = review.reopen_invoice(services=services, user=operator, invoice_id=invoice.id)
    return operator, invoice


def test_a_reviewer_sets_the_payment_reference_and_it_is_audited(services, role_users):
    operator, invoice = _in_review(services, role_users, "PAY-1")
    assert invoice.payment_reference is None
    corrected = review.correct_fields(
        services=services,
        user=operator,
        invoice_id=invoice.id,
        changes={"payment_reference": " RF18539007547034 "},
        expected_version=invoice.version,
    )
    assert corrected.payment_reference == "RF18539007547034"
    viewer = as_user(role_users.members["viewer"])
    seen = invoices.get_invoice(services=services, user=viewer, invoice_id=invoice.id)
    assert seen.payment_reference == "RF18539007547034"
    trail = invoices.audit_log(services=services, user=operator, invoice_id=invoice.id)
    event = next(e for e in trail if e.action == "invoice.corrected")
    assert event.before is not None and event.after is not None
    assert event.before["payment_reference"] is None
    assert event.after["payment_reference"] == "RF18539007547034"


def test_only_writers_through_the_door_and_at_most_140_characters(services, role_users, engine):
    operator, invoice = _in_review(services, role_users, "PAY-2")
    viewer = as_user(role_users.members["viewer"])
    with pytest.raises(Forbidden):
        review.correct_fields(
            services=services,
            user=viewer,
            invoice_id=invoice.id,
            changes={"payment_reference": "RF00"},
            expected_version=invoice.version,
        )
    with pytest.raises(ValidationFailed):
        review.correct_fields(
            services=services,
            user=operator,
            invoice_id=invoice.id,
            changes={"payment_reference": "x" * 141},
            expected_version=invoice.version,
        )
    # Table access (as PostgREST would run it) may not touch it: it decides where money goes.
    with pytest.raises((Forbidden, DBAPIError)), user_session(engine, operator.claims) as s:
        s.execute(
            text("update public.invoices set payment_reference = 'RF99' where id = :i"),
            {"i": invoice.id},
        )
    after = invoices.get_invoice(services=services, user=operator, invoice_id=invoice.id)
    assert after.payment_reference is None and after.version == invoice.version
