"""The review queue orders by need and explains why; evidence comes from the stored extraction."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from core.db.session import service_session
from core.errors import NotFound, ValidationFailed
from core.workflow import processing, reference, review_queue, uploads
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, invoice_pdf

VENDORS_CSV = b"vendor_code,name,vat_id\nV1,ACME Industrial Supplies GmbH,DE123456789\n"


def _processed(services, user, client_id, number, vendor="ACME Industrial Supplies GmbH"):
    result = uploads.upload_files(
        services=services,
        user=user,
        client_id=client_id,
        files=[UploadFile(f"{number}.pdf", invoice_pdf(number, vendor=vendor))],
        process=False,
    )
    invoice_id = result.files[0].invoice_id
    processing.process_invoice(services=services, invoice_id=invoice_id, user_id=user.id)
    return invoice_id


def _force(engine, invoice_id, **values):
    sets = ", ".join(f"{k} = :{k}" for k in values)
    with service_session(engine, "tests.review_queue") as s:
        s.execute(
            text(f"update public.invoices set {sets} where id = :id"), {"id": invoice_id, **values}
        )


def test_queue_puts_failed_checks_before_low_confidence_before_the_rest(
    services, role_users, engine
):
    owner = as_user(role_users.members["owner"])
    cid = role_users.id
    reference.import_reference(
        services=services,
        user=owner,
        client_id=cid,
        kind="vendors",
        data=VENDORS_CSV,
        filename="v.csv",
    )
    auto = _processed(services, owner, cid, "Q-0")
    fine = _processed(services, owner, cid, "Q-1")
    shaky = _processed(services, owner, cid, "Q-2")
    broken = _processed(services, owner, cid, "Q-3")
    for invoice_id in (fine, shaky, broken):
        _force(engine, invoice_id, status="needs_review", match_band="review")
    _force(engine, auto, status="auto_approved", match_band="auto", confidence=0.2)
    _force(engine, fine, confidence=0.95)
    _force(engine, shaky, confidence=0.41)
    _force(engine, broken, confidence=0.99)
    with service_session(engine, "tests.review_queue") as s:
        s.execute(
            text(
                "update public.invoices set extraction = jsonb_set(coalesce(extraction, '{}'),"
                " '{warnings}', '[\"arithmetic: total != subtotal + tax\"]') where id = :id"
            ),
            {"id": broken},
        )

    queue = review_queue.review_queue(services=services, user=owner, client_id=cid)

    order = [row.id for row in queue]
    assert order.index(broken) < order.index(shaky) < order.index(fine) < order.index(auto)
    reasons = {row.id: row.review_reason for row in queue}
    assert reasons[broken] == "1 failed check"
    assert reasons[shaky] == "low confidence 41%"
    assert reasons[fine] == "match to confirm"
    assert reasons[auto] == "auto-approved, confirm"


def test_viewer_reads_the_queue_and_strangers_get_not_found(services, role_users, make_user):
    cid = role_users.id
    viewer = as_user(role_users.members["viewer"])
    assert isinstance(
        review_queue.review_queue(services=services, user=viewer, client_id=cid), list
    )
    stranger = as_user(make_user())
    with pytest.raises(NotFound):
        review_queue.review_queue(services=services, user=stranger, client_id=cid)
    with pytest.raises(ValidationFailed):
        review_queue.review_queue(services=services, user=viewer, client_id=cid, limit=0)


def test_field_evidence_returns_confidence_and_source_text(services, role_users, make_user):
    owner = as_user(role_users.members["owner"])
    invoice_id = _processed(services, owner, role_users.id, "EV-7")
    found = review_queue.field_evidence(services=services, user=owner, invoice_id=invoice_id)
    number = found["fields"]["invoice_number"]
    assert number["confidence"] > 0
    assert "EV-7" in number["evidence"]["text"]
    with pytest.raises(NotFound):
        review_queue.field_evidence(
            services=services, user=as_user(make_user()), invoice_id=invoice_id
        )
    with pytest.raises(NotFound):
        review_queue.field_evidence(services=services, user=owner, invoice_id=uuid.uuid4())
