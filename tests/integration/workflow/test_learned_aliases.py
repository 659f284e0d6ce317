"""Issue 14 item 1: a confirmed or overridden vendor match teaches the alias store, and the next
invoice with that spelling matches automatically with "alias learned from <who>, <when>".
Owners list and remove aliases; removing one re-opens nothing; nothing crosses clients."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.errors import Forbidden, NotFound
from core.workflow import invoices, processing, reference, review, uploads
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, invoice_pdf

VENDORS_CSV = (
    b"vendor_code,name,vat_id\nV1,Hauser Feinmechanik GmbH,DE111111111\nV2,Other Trading Ltd,\n"
)
SPELLING = "HFM Praezisionsteile"  # nothing like the master name: the matcher cannot know it


def _one(services, user, client_id, number: str, vendor: str = SPELLING):
    result = uploads.upload_files(
        services=services,
        user=user,
        client_id=client_id,
        files=[UploadFile(f"{number}.pdf", invoice_pdf(number, vendor=vendor))],
        process=False,
    )
    invoice_id = result.files[0].invoice_id
    processing.process_invoice(services=services, invoice_id=invoice_id, user_id=user.id)
    return invoices.get_invoice(services=services, user=user, invoice_id=invoice_id)


def _vendor_ids(services, user, client_id) -> dict[str, object]:
    rows, _ = reference.list_vendors(services=services, user=user, client_id=client_id)
    return {r.vendor_code: r.id for r in rows}


def _teach(services, operator, client_id, number: str):
    """Upload an invoice with the unknown spelling and override its vendor match to V1."""
    first = _one(services, operator, client_id, number)
    vendor_match = next(m for m in first.matches if m.kind == "vendor")
    assert first.vendor_id is None or vendor_match.band != "auto"
    ids = _vendor_ids(services, operator, client_id)
    review.decide_match(
        services=services,
        user=operator,
        match_id=vendor_match.id,
        decision="override",
        vendor_id=ids["V1"],
    )
    return first, ids


def test_an_override_teaches_the_spelling_and_the_next_invoice_matches_by_it(
    services, role_users, engine
) -> None:
    client = role_users
    operator = as_user(client.members["operator"])
    reference.import_reference(
        services=services, user=operator, client_id=client.id, kind="vendors", data=VENDORS_CSV
    )
    first, ids = _teach(services, operator, client.id, "L-1")

    aliases = reference.list_vendor_aliases(services=services, user=operator, client_id=client.id)
    learned = [a for a in aliases if a.source == "learned"]
    # the spelling is new; the VAT id printed (DE123456789) differs from the master's: learned too
    assert sorted((a.kind, a.value) for a in learned) == [
        ("name", SPELLING),
        ("vat_id", "DE123456789"),
    ]
    assert {a.vendor_id for a in learned} == {ids["V1"]}
    assert {a.learned_from for a in learned} == {client.members["operator"].email}
    assert {a.created_by for a in learned} == {client.members["operator"].id}
    assert {a.source_invoice_id for a in learned} == {first.id}

    second = _one(services, operator, client.id, "L-2")
    vendor_match = next(m for m in second.matches if m.kind == "vendor")
    assert second.vendor_id == ids["V1"] and vendor_match.band == "auto"
    today = dt.datetime.now(dt.UTC).date().isoformat()
    who = client.members["operator"].email
    assert f"alias learned from {who}, {today}" in vendor_match.reason

    # the audit trail says who added which alias
    with engine.connect() as conn:
        events = conn.execute(
            text(
                "select actor_id, after->>'source' from public.audit_events"
                " where client_id = :c and action = 'vendor.alias_added'"
            ),
            {"c": client.id},
        ).all()
    assert sorted(events) == [(client.members["operator"].id, "learned")] * 2


def test_confirming_the_master_spelling_learns_nothing(services, role_users) -> None:
    client = role_users
    operator = as_user(client.members["operator"])
    reference.import_reference(
        services=services,
        user=operator,
        client_id=client.id,
        kind="vendors",
        data=b"vendor_code,name,vat_id\nV1,ACME Industrial Supplies GmbH,DE123456789\n",
    )
    inv = _one(services, operator, client.id, "C-1", vendor="ACME Industrial Supplies GmbH")
    vendor_match = next(m for m in inv.matches if m.kind == "vendor")
    review.decide_match(
        services=services, user=operator, match_id=vendor_match.id, decision="confirm"
    )
    assert (
        reference.list_vendor_aliases(services=services, user=operator, client_id=client.id) == []
    )


def test_removing_a_learned_alias_reopens_nothing_and_stops_the_match(services, role_users) -> None:
    client = role_users
    owner = as_user(client.members["owner"])
    operator = as_user(client.members["operator"])
    viewer = as_user(client.members["viewer"])
    reference.import_reference(
        services=services, user=operator, client_id=client.id, kind="vendors", data=VENDORS_CSV
    )
    _, ids = _teach(services, operator, client.id, "R-1")
    second = _one(services, operator, client.id, "R-2")
    for match in second.matches:  # its PO is in no purchase order list: settle that first
        if match.kind == "purchase_order":
            review.decide_match(
                services=services, user=operator, match_id=match.id, decision="reject"
            )
    second = invoices.get_invoice(services=services, user=operator, invoice_id=second.id)
    approved = review.approve_invoice(
        services=services, user=operator, invoice_id=second.id, expected_version=second.version
    )
    assert approved.status == "approved" and approved.vendor_id == ids["V1"]

    aliases = reference.list_vendor_aliases(
        services=services, user=viewer, client_id=client.id, vendor_id=ids["V1"]
    )
    name_alias = next(a for a in aliases if a.kind == "name")
    with pytest.raises(Forbidden):
        reference.remove_vendor_alias(
            services=services, user=viewer, client_id=client.id, alias_id=name_alias.id
        )
    for alias in aliases:
        reference.remove_vendor_alias(
            services=services, user=owner, client_id=client.id, alias_id=alias.id
        )
    with pytest.raises(NotFound):
        reference.remove_vendor_alias(
            services=services, user=owner, client_id=client.id, alias_id=name_alias.id
        )
    after = invoices.get_invoice(services=services, user=owner, invoice_id=second.id)
    assert after.status == "approved" and after.version == approved.version
    assert after.vendor_id == ids["V1"]

    third = _one(services, operator, client.id, "R-3")
    assert (
        third.vendor_id != ids["V1"]
        or next(m for m in third.matches if m.kind == "vendor").band != "auto"
    )


def test_what_client_a_learns_never_matches_for_client_b(
    services, role_users, make_user, make_client
) -> None:
    a = role_users
    operator_a = as_user(a.members["operator"])
    reference.import_reference(
        services=services, user=operator_a, client_id=a.id, kind="vendors", data=VENDORS_CSV
    )
    _teach(services, operator_a, a.id, "X-1")

    owner_b_user = make_user()
    b = make_client(owner_b_user)
    owner_b = as_user(owner_b_user)
    reference.import_reference(
        services=services, user=owner_b, client_id=b.id, kind="vendors", data=VENDORS_CSV
    )
    assert reference.list_vendor_aliases(services=services, user=owner_b, client_id=b.id) == []
    with pytest.raises(NotFound):
        reference.list_vendor_aliases(services=services, user=owner_b, client_id=a.id)
    a_alias = reference.list_vendor_aliases(services=services, user=operator_a, client_id=a.id)[0]
    with pytest.raises(NotFound):
        reference.remove_vendor_alias(
            services=services, user=owner_b, client_id=b.id, alias_id=a_alias.id
        )
    # B's worker matches the same spelling without A's lesson
    inv_b = _one(services, owner_b, b.id, "X-2")
    ids_b = _vendor_ids(services, owner_b, b.id)
    vendor_match = next(m for m in inv_b.matches if m.kind == "vendor")
    assert "learned" not in vendor_match.reason
    assert inv_b.vendor_id != ids_b["V1"] or vendor_match.band != "auto"
