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


def test_flags_name_a_reason_and_absent_optional_fields_are_not_flagged(
    workspace, signed_in
) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = _picked_id(at)
    invoice = _invoice(workspace, invoice_id)
    inputs = {
        w.key.removeprefix(f"review_field_{invoice_id}_"): w
        for w in at.text_input
        if w.key and w.key.startswith(f"review_field_{invoice_id}_")
    }
    flagged = {n: w.label for n, w in inputs.items() if ":material/warning:" in w.label}
    for label in flagged.values():
        assert any(why in label for why in ("failed check", "low confidence", "missing")), label
    absent = [n for n, w in inputs.items() if not w.value]
    for name in absent:
        if name not in ("vendor_name", "invoice_number", "invoice_date", "currency", "total"):
            assert name not in flagged, f"absent optional field {name} is flagged"
    assert "0%" not in " ".join(flagged.values())
    # Money shows with two decimals and the currency in the label.
    total = inputs["total"]
    assert total.value == f"{invoice.total:.2f}" and f"({invoice.currency})" in total.label


def test_correcting_a_field_saves_it_and_audits_it(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = _picked_id(at)
    at.text_input(key=f"review_field_{invoice_id}_invoice_number").input("CORRECTED-42")
    next(b for b in at.button if b.label == "Save corrections").click().run()
    assert not at.exception
    assert "Saved Invoice number (version" in texts(at)
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


def _labels(at):
    return [b.label for b in at.button]


def _block_both(workspace) -> None:
    """Give both invoices a vendor the master does not know: the default policy blocks them."""
    from core.workflow import review

    owner = workspace.client.members["owner"]
    user = worker_user(owner.id, owner.email)
    for invoice_id in workspace.invoice_ids:
        review.correct_fields(
            services=workspace.services,
            user=user,
            invoice_id=invoice_id,
            changes={"vendor_name": "Nobody Knows This Vendor Ltd"},
            expected_version=_invoice(workspace, invoice_id).version,
        )


def test_a_blocked_invoice_offers_only_an_override_that_asks_why_and_moves_on(
    workspace, signed_in
) -> None:
    _block_both(workspace)
    at = open_page(signed_in("owner"), "review")
    invoice_id = _picked_id(at)
    other = next(i for i in workspace.invoice_ids if i != invoice_id)
    assert "Approve" not in _labels(at), "a blocked invoice shows the primary Approve"
    assert "The approval policy blocks approving this invoice" in texts(at)
    assert any(p.proto.popover.label == "Approve anyway (override)…" for p in at.get("popover"))
    # No reason: refused, nothing approved.
    next(b for b in at.button if b.label == "Approve over the blocks").click().run()
    assert any("validation_failed" in w.value for w in at.warning)
    assert _invoice(workspace, invoice_id).status == "needs_review"
    at.text_input(key=f"review_override_reason_{invoice_id}").input("checked with the vendor")
    next(b for b in at.button if b.label == "Approve over the blocks").click().run()
    assert not at.exception
    assert "Approved over the policy's blocks" in texts(at) and "Next:" in texts(at)
    assert any("Approved over the policy's blocks" in t.value for t in at.toast)  # in view
    assert _invoice(workspace, invoice_id).status == "approved"
    assert len(at.selectbox(key="review_pick").options) == 1
    assert _picked_id(at) == other


def test_a_role_that_may_not_override_sees_no_approve_and_why(workspace, signed_in) -> None:
    _block_both(workspace)
    at = open_page(signed_in("operator"), "review")  # the default policy: only owners override
    invoice_id = _picked_id(at)
    assert "Approve over the blocks" not in _labels(at)
    assert "Approve" not in _labels(at)
    assert "No vendor from your vendor list is chosen" in texts(at)
    assert "Reject" in _labels(at)
    assert "your role (operator) may not approve over them" in texts(at)
    assert "the policy lets owner do it" in texts(at)
    assert _invoice(workspace, invoice_id).status == "needs_review"


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
    assert f"Saved {before} line items (version" in texts(at)
    owner = workspace.client.members["owner"]
    trail = invoices.audit_log(
        services=workspace.services, user=worker_user(owner.id, owner.email), invoice_id=invoice_id
    )
    assert any(e.action == "invoice.lines_corrected" for e in trail)
    assert len(_invoice(workspace, invoice_id).lines) == before


def test_the_audit_trail_shows_actors_by_e_mail_when_asked(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = _picked_id(at)
    assert not at.table  # not read on every rerun
    at.toggle(key=f"review_audit_{invoice_id}").set_value(True).run()
    assert not at.exception
    shown = at.table[0].value
    assert "invoice.uploaded" in set(shown["Action"])
    owner = workspace.client.members["owner"]
    assert owner.email in set(shown["By"])


def test_a_reason_a_block_already_gives_is_not_repeated_as_a_note(workspace, signed_in) -> None:
    from core.workflow import review

    invoice_id = workspace.invoice_ids[0]
    review.correct_fields(
        services=workspace.services,
        user=worker_user(
            workspace.client.members["owner"].id, workspace.client.members["owner"].email
        ),
        invoice_id=invoice_id,
        changes={"po_number": "PO-NOPE-13"},
        expected_version=_invoice(workspace, invoice_id).version,
    )
    at = open_page(signed_in("owner"), "review")
    at.selectbox(key="review_pick").set_value(invoice_id).run()
    shown = texts(at)
    assert "The purchase order is not settled: PO PO-NOPE-13 is not in the purchase order list" in (
        shown
    )
    assert shown.count("PO PO-NOPE-13 is not in the purchase order list") == 1, shown


def test_the_selected_fields_source_box_is_shown_close_up_above_the_whole_page(
    workspace, signed_in
) -> None:
    at = open_page(signed_in("operator"), "review")
    invoice_id = _picked_id(at)
    source = at.selectbox(key=f"review_source_{invoice_id}")
    assert source.value, "a field read from the page is selected"
    captions = [c for image in at.image for c in image.captions]
    assert captions[0].endswith("where it was read on page 1"), captions
    assert "page 1 ·" in captions[1], captions  # then the whole page, the box highlighted
