"""Review page: queue by need, preview beside fields, corrections audited, approve/reject."""

from __future__ import annotations

import pytest

from core.workflow import invoices
from core.workflow.transitions import worker_user
from tests.e2e.console.conftest import ROLES, open_page, texts


def _invoice(workspace, invoice_id):
    owner = workspace.client.members["owner"]
    return invoices.get_invoice(
        services=workspace.services, user=worker_user(owner.id, owner.email), invoice_id=invoice_id
    )


def _picked_id(at):
    return at.selectbox(key="review_pick").value


@pytest.mark.parametrize("role", ROLES)
def test_review_renders_for_each_role_with_preview_and_role_appropriate_actions(
    workspace, signed_in, role
) -> None:
    at = open_page(signed_in(role), "review")
    assert len(at.selectbox(key="review_pick").options) == 2
    assert at.image, "the rendered page image is shown beside the fields"
    writer = role in ("owner", "operator")
    save = next(b for b in at.button if b.label == "Save corrections")
    assert save.disabled is not writer
    assert any(b.label == "Approve" for b in at.button) is writer
    field = at.text_input(key=f"review_field_{_picked_id(at)}_invoice_number")
    assert field.disabled is not writer


def test_low_confidence_fields_are_flagged_with_their_evidence(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "review")
    shown = texts(at)
    assert "low-confidence" in shown
    assert "↳ evidence page 1" in shown


def test_correcting_a_field_saves_it_and_audits_it(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = _picked_id(at)
    at.text_input(key=f"review_field_{invoice_id}_invoice_number").input("CORRECTED-42")
    next(b for b in at.button if b.label == "Save corrections").click().run()
    assert not at.exception
    assert "Saved 1 field correction." in texts(at)
    assert "Someone changed" not in texts(at)
    assert _invoice(workspace, invoice_id).invoice_number == "CORRECTED-42"
    owner = workspace.client.members["owner"]
    trail = invoices.audit_log(
        services=workspace.services, user=worker_user(owner.id, owner.email), invoice_id=invoice_id
    )
    assert any(e.action == "invoice.corrected" for e in trail)


def test_bad_value_is_a_warning_and_nothing_changes(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = _picked_id(at)
    before = _invoice(workspace, invoice_id)
    at.text_input(key=f"review_field_{invoice_id}_total").input("twelve euros")
    next(b for b in at.button if b.label == "Save corrections").click().run()
    assert not at.exception
    assert any("validation_failed" in w.value for w in at.warning)
    assert _invoice(workspace, invoice_id).total == before.total


def test_approve_moves_the_invoice_out_of_the_queue(workspace, signed_in) -> None:
    at = open_page(signed_in("owner"), "review")
    invoice_id = _picked_id(at)
    next(b for b in at.button if b.label == "Approve").click().run()
    assert not at.exception
    assert "Invoice approved." in texts(at)
    assert _invoice(workspace, invoice_id).status == "approved"
    assert len(at.selectbox(key="review_pick").options) == 1


def test_reject_without_a_reason_is_refused_with_a_warning(workspace, signed_in) -> None:
    at = open_page(signed_in("owner"), "review")
    invoice_id = _picked_id(at)
    next(b for b in at.button if b.label == "Reject").click().run()
    assert any("validation_failed" in w.value for w in at.warning)
    assert _invoice(workspace, invoice_id).status == "needs_review"


def test_a_stale_edit_is_a_conflict_warning(workspace, signed_in) -> None:
    first = open_page(signed_in("owner"), "review")
    second = open_page(signed_in("operator"), "review")
    invoice_id = _picked_id(first)
    assert _picked_id(second) == invoice_id
    first.text_input(key=f"review_field_{invoice_id}_currency").input("JPY")
    next(b for b in first.button if b.label == "Save corrections").click().run()
    second.text_input(key=f"review_field_{invoice_id}_currency").input("SEK")
    next(b for b in second.button if b.label == "Save corrections").click().run()
    assert not second.exception
    assert any("conflict" in w.value for w in second.warning)
    assert _invoice(workspace, invoice_id).currency == "JPY"
    next(b for b in second.button if b.label == "Reload the latest version").click().run()
    assert second.text_input(key=f"review_field_{invoice_id}_currency").value == "JPY"


def test_line_items_are_editable_for_writers_and_saved(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = _picked_id(at)
    before = len(_invoice(workspace, invoice_id).lines)
    assert before > 0
    next(b for b in at.button if b.label == "Save line items").click().run()
    assert not at.exception
    assert f"Saved {before} line items." in texts(at)
    owner = workspace.client.members["owner"]
    trail = invoices.audit_log(
        services=workspace.services, user=worker_user(owner.id, owner.email), invoice_id=invoice_id
    )
    assert any(e.action == "invoice.lines_corrected" for e in trail)
    assert len(_invoice(workspace, invoice_id).lines) == before
