"""Issue 14 item 3: the trust ladder, part of the approval policy. A vendor is promoted after N
clean approvals, its next invoice is approved with no touch (audited with the rule, the policy
version and the evidence), a correction resets it; each condition refuses straight-through
approval on its own with its typed reason; the database door refuses a forced auto-approval;
owners pause a vendor; nothing crosses clients."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from core.db.session import user_session
from core.errors import AutoApprovalRefused, Forbidden, InvalidTransition, NotFound
from core.workflow import approval_policy, invoices, processing, reference, review
from core.workflow import trust_ladder as ladder
from core.workflow.trust_ladder import LadderReason as R
from tests.integration.workflow.conftest import (
    TextLayerStubExtractor,
    as_user,
    build_test_services,
    make_pdf,
    process_one,
)

VENDOR = "ACME Industrial Supplies GmbH"
VENDORS_CSV = f"vendor_code,name,vat_id\nV1,{VENDOR},DE123456789\nV2,Other Trading Ltd,\n".encode()
# Large orders: every test invoice bills one unit of a PO line (its line items are read), and
# what earlier invoices billed counts line by line, so the orders must not run out.
POS_CSV = (
    b"po_number,vendor,currency,line_no,description,product_code,quantity,unit_price,amount\n"
    b"PO-1001,V1,EUR,1,Widgets,W-1,1000,119.00,119000.00\n"
    b"PO-2002,V1,EUR,1,Machine,M-1,100,5000.00,500000.00\n"
)


def _pdf(number: str, *, vendor: str = VENDOR, total: str = "119.00", po: str | None = "PO-1001",
         vat: str = "DE123456789", subtotal: str | None = None,
         lines: list[str] | None = None, line_total: str | None = None) -> bytes:  # fmt: skip
    """An invoice; by default one line item of one unit at the total, and a line total equal to
    it (the lines account for the net). ``lines``: "description; quantity; price; amount" rows
    (an empty amount: a line read with none)."""
    item = "Machine" if po == "PO-2002" else "Widgets"
    lines = [f"{item}; 1; {total}; {total}"] if lines is None else lines
    line_total = total if line_total is None else line_total
    return make_pdf(
        [
            vendor,
            "Hauptstrasse 1, 10115 Berlin",
            f"VAT ID: {vat}",
            "INVOICE",
            f"Invoice number: {number}",
            "Invoice date: 2024-03-15",
            *([f"PO number: {po}"] if po else []),
            *[f"Item: {row}" for row in lines],
            *([f"Line total: {line_total} EUR"] if line_total else []),
            *([f"Subtotal: {subtotal} EUR", "Tax: 19.00 EUR"] if subtotal else []),
            f"Total: {total} EUR",
        ]
    )


class SubtotalStub(TextLayerStubExtractor):
    """The workflow tests' stub, also reading "Subtotal:", "Tax:" (so a check can fail), "Line
    total:" and the "Item:" rows as line items (so the lines can account for the net, or not)."""

    def extract(self, data, *, filename=None):
        import re
        from decimal import Decimal

        import pypdfium2 as pdfium

        from core.extraction.schema import ExtractedField, LineItem

        ex = super().extract(data, filename=filename)
        pdf = pdfium.PdfDocument(data)
        try:
            page_text = "\n".join(p.get_textpage().get_text_range() for p in pdf)
        finally:
            pdf.close()
        for name, label in (("subtotal", "Subtotal"), ("tax", "Tax"), ("line_total", "Line total")):
            m = re.search(rf"^{label}:\s*([\d.]+)", page_text, re.M)
            if m:
                setattr(ex, name, ExtractedField(value=Decimal(m.group(1)), confidence=0.95))
        for m in re.finditer(r"^Item:\s*(.+)$", page_text, re.M):
            description, quantity, price, amount = (c.strip() for c in m.group(1).split(";"))
            ex.line_items.append(
                LineItem(description=description, quantity=Decimal(quantity),
                         unit_price=Decimal(price), amount=Decimal(amount) if amount else None,
                         confidence=0.95)
            )  # fmt: skip
        return ex


@pytest.fixture(scope="module")
def services(test_settings, engine, database_url):
    svc = build_test_services(test_settings, engine, database_url, extraction=SubtotalStub())
    yield svc
    svc.jobs.close()
    svc.close()


def _policy(services, owner, client_id, *, enabled=True, n=2, max_total="1000.00",
            blocks=None, require_po=True) -> int:  # fmt: skip
    body: dict = {
        "trust_ladder": {
            "enabled": enabled,
            "clean_invoices": n,
            "max_total": max_total,
            "require_po": require_po,
        }
    }
    if blocks is not None:
        body["blocks"] = blocks
    return approval_policy.save_policy(
        services=services, user=owner, client_id=client_id, policy=body, activate=True
    ).version


@pytest.fixture
def acme(services, role_users):
    client = role_users
    owner = as_user(client.members["owner"])
    operator = as_user(client.members["operator"])
    for kind, data in (("vendors", VENDORS_CSV), ("purchase_orders", POS_CSV)):
        report = reference.import_reference(
            services=services, user=operator, client_id=client.id, kind=kind, data=data
        )
        assert not report.errors, report.errors
    return client, owner, operator


def _one(services, user, client_id, data: bytes, name: str):
    return process_one(services, user, client_id, name, data)


def _reasons(services, user, invoice_id) -> set[R]:
    return {
        R(r.code)
        for r in ladder.auto_approval_reasons(services=services, user=user, invoice_id=invoice_id)
    }


def _state(services, user, client_id, name: str = VENDOR):
    return next(
        v
        for v in ladder.ladder_states(services=services, user=user, client_id=client_id)
        if v.vendor_name == name
    )


def _promote(services, operator, client_id, n: int = 2) -> None:
    for i in range(n):
        inv = _one(services, operator, client_id, _pdf(f"P-{i}"), f"p{i}.pdf")
        assert inv.status == "needs_review"
        review.approve_invoice(
            services=services, user=operator, invoice_id=inv.id, expected_version=inv.version
        )


def test_the_ladder_promotes_auto_approves_and_resets_on_a_correction(
    services, acme, engine
) -> None:
    client, owner, operator = acme
    version = _policy(services, owner, client.id, n=2)

    first = _one(services, operator, client.id, _pdf("L-1"), "1.pdf")
    assert first.status == "needs_review"
    assert _reasons(services, operator, first.id) == {R.streak_short}
    review.approve_invoice(
        services=services, user=operator, invoice_id=first.id, expected_version=first.version
    )
    assert _state(services, operator, client.id).clean_streak == 1
    second = _one(services, operator, client.id, _pdf("L-2"), "2.pdf")
    assert second.status == "needs_review"
    review.approve_invoice(
        services=services, user=operator, invoice_id=second.id, expected_version=second.version
    )
    assert _state(services, operator, client.id).clean_streak == 2

    third = _one(services, operator, client.id, _pdf("L-3"), "3.pdf")
    assert third.status == "approved"
    trail = invoices.audit_log(services=services, user=operator, invoice_id=third.id)
    event = next(e for e in trail if e.action == "trust_ladder.auto_approved")
    assert event.meta["rule"] == "trust_ladder" and event.meta["policy_version"] == version
    evidence = event.meta["evidence"]
    assert (evidence["clean_streak"], evidence["needed"]) == (2, 2)
    assert evidence["vendor_match"]["band"] == "auto" and evidence["po_match"]["band"] == "auto"
    assert float(evidence["total"]) == 119.0 and evidence["max_total"] == "1000.00"
    door_event = next(e for e in trail if e.action == "status.auto_approved")
    assert door_event.meta["policy_version"] == version
    # the ladder's acceptance is the approval (exportable), and no person is its approver
    assert door_event.after["status"] == "approved" and event.after["status"] == "approved"
    assert third.reviewed_by is None

    # a person re-opens and corrects the auto-approved invoice: the vendor's ladder starts again
    review.reopen_invoice(services=services, user=operator, invoice_id=third.id)
    third = invoices.get_invoice(services=services, user=operator, invoice_id=third.id)
    corrected = review.correct_fields(
        services=services,
        user=operator,
        invoice_id=third.id,
        changes={"invoice_number": "L-3A"},
        expected_version=third.version,
    )
    assert corrected.status == "needs_review"
    state = _state(services, operator, client.id)
    assert (state.clean_streak, state.last_reset_action) == (0, "invoice.corrected")
    assert state.last_reset_invoice_id == third.id
    fourth = _one(services, operator, client.id, _pdf("L-4"), "4.pdf")
    assert fourth.status == "needs_review"
    assert _reasons(services, operator, fourth.id) == {R.streak_short}


@pytest.mark.parametrize(
    "event",
    ["rejection", "match override", "lines correction", "re-open"],
)
def test_any_rejection_or_override_resets_the_ladder(services, acme, event) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2)
    _promote(services, operator, client.id)
    assert _state(services, operator, client.id).clean_streak == 2
    inv = _one(services, operator, client.id, _pdf("R-1"), "r.pdf")
    assert inv.status == "approved"
    review.reopen_invoice(services=services, user=operator, invoice_id=inv.id)
    inv = invoices.get_invoice(services=services, user=operator, invoice_id=inv.id)
    if event == "re-open":
        expected = "status.reopened"
    elif event == "rejection":
        review.reject_invoice(
            services=services, user=operator, invoice_id=inv.id, reason="not ours"
        )
        expected = "status.rejected"
    elif event == "match override":
        match = next(m for m in inv.matches if m.kind == "vendor")
        other = next(
            v.id
            for v in reference.list_vendors(services=services, user=operator, client_id=client.id)[
                0
            ]
            if v.vendor_code == "V2"
        )
        review.decide_match(
            services=services, user=operator, match_id=match.id, decision="override",
            vendor_id=other,
        )  # fmt: skip
        expected = "match.overridden"
    else:
        from core.workflow import line_items

        line_items.correct_lines(
            services=services,
            user=operator,
            invoice_id=inv.id,
            lines=[{"description": "Widgets", "quantity": "1", "unit_price": "119.00",
                    "amount": "119.00"}],
            expected_version=inv.version,
        )  # fmt: skip
        expected = "invoice.lines_corrected"
    state = _state(services, operator, client.id)
    assert (state.clean_streak, state.last_reset_action) == (0, expected)


CONDITIONS = [
    # (case, policy overrides, document, expected reasons)
    ("off", {"enabled": False}, {}, {R.off}),
    ("vendor unknown", {}, {"vendor": "Zyxwv Unheard Of Company", "vat": "FR40303265045"},
     {R.vendor_unknown}),
    ("vendor match", {}, {"vendor": "Acme Industrial", "vat": ""},
     {R.vendor_match}),
    ("po match", {}, {"po": "PO-9999"}, {R.po_match}),
    ("po missing", {}, {"po": None}, {R.po_match}),
    ("check", {}, {"subtotal": "90.00"}, {R.check_failed}),
    ("total over limit", {}, {"total": "5000.00", "po": "PO-2002"}, {R.total_over_limit}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "policy", "doc", "expected"), CONDITIONS, ids=[c[0] for c in CONDITIONS]
)
def test_each_condition_on_its_own_refuses_straight_through_approval(
    services, acme, case, policy, doc, expected
) -> None:
    client, owner, operator = acme
    # no blocks: each ladder condition is seen on its own, not behind the policy's blocks
    _policy(services, owner, client.id, n=2, blocks=[])
    _promote(services, operator, client.id)
    _policy(services, owner, client.id, n=2, blocks=[], **policy)
    inv = _one(services, operator, client.id, _pdf(f"C-{case}", **doc), "c.pdf")
    assert _reasons(services, operator, inv.id) == expected, case
    assert inv.status == "needs_review"
    trail = invoices.audit_log(services=services, user=operator, invoice_id=inv.id)
    routed = next(e for e in trail if e.action == "status.needs_review")
    assert set(routed.meta["ladder"]) == {r.value for r in expected}
    # and with the failing condition gone, the same vendor goes straight through
    ok = _one(services, operator, client.id, _pdf(f"OK-{case}"), "ok.pdf")
    if case != "off":
        assert ok.status == "approved", _reasons(services, operator, ok.id)


def test_a_possible_duplicate_and_a_paused_vendor_refuse_on_their_own(services, acme) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2, blocks=[])
    _promote(services, operator, client.id)
    first = _one(services, operator, client.id, _pdf("D-1"), "d1.pdf")
    assert first.status == "approved"
    resent = _one(services, operator, client.id, _pdf("D-1") + b"\n%resent", "d1-again.pdf")
    assert _reasons(services, operator, resent.id) == {R.duplicate}
    assert resent.status == "needs_review"

    vendor_id = _state(services, owner, client.id).vendor_id
    with pytest.raises(Forbidden):
        ladder.set_vendor_paused(
            services=services, user=operator, client_id=client.id, vendor_id=vendor_id,
            paused=True,
        )  # fmt: skip
    state = ladder.set_vendor_paused(
        services=services, user=owner, client_id=client.id, vendor_id=vendor_id, paused=True
    )
    assert state.paused and state.clean_streak == 2
    paused = _one(services, operator, client.id, _pdf("PA-1"), "pa.pdf")
    assert _reasons(services, operator, paused.id) == {R.paused}
    assert paused.status == "needs_review"
    ladder.set_vendor_paused(
        services=services, user=owner, client_id=client.id, vendor_id=vendor_id, paused=False
    )
    assert _one(services, operator, client.id, _pdf("PA-2"), "pa2.pdf").status == "approved"


def test_the_policy_blocks_show_as_a_ladder_reason_too(services, acme) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2, blocks=["check.totals_mismatch"])
    _promote(services, operator, client.id)
    inv = _one(services, operator, client.id, _pdf("B-1", subtotal="90.00"), "b.pdf")
    assert _reasons(services, operator, inv.id) == {R.check_failed, R.blocked}


def test_the_door_refuses_a_forced_auto_approval_with_the_typed_reasons(
    services, acme, engine
) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=3)
    inv = _one(services, operator, client.id, _pdf("F-1"), "f.pdf")
    assert inv.status == "needs_review"
    with engine.begin() as conn:  # as the table owner: put it back where the worker decides
        conn.execute(
            text("alter table public.invoices disable trigger user"),
        )
        conn.execute(text("update public.invoices set status = 'matched' where id = :i"),
                     {"i": inv.id})  # fmt: skip
        conn.execute(text("alter table public.invoices enable trigger user"))
    with (
        pytest.raises(AutoApprovalRefused) as refused,
        user_session(services.engine, operator.claims) as s,
    ):
        s.execute(
            text(
                "select public.invoice_transition(:i, 'status.auto_approved', null,"
                " '{}', cast(:m as jsonb))"
            ),
            {"i": inv.id, "m": json.dumps({"rule": "forged"})},
        )
    assert [e["code"] for e in refused.value.details["errors"]] == ["ladder.streak_short"]


def test_ladder_state_stays_in_its_client(services, acme, make_user, make_client) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2)
    _promote(services, operator, client.id)
    stranger_user = make_user()
    b = make_client(stranger_user)
    stranger = as_user(stranger_user)
    with pytest.raises(NotFound):
        ladder.ladder_states(services=services, user=stranger, client_id=client.id)
    vendor_id = _state(services, owner, client.id).vendor_id
    with pytest.raises((NotFound, Forbidden)):
        ladder.set_vendor_paused(
            services=services, user=stranger, client_id=client.id, vendor_id=vendor_id,
            paused=True,
        )  # fmt: skip
    # the same vendor in B starts at zero, with B's own (default: off) policy
    reference.import_reference(
        services=services, user=stranger, client_id=b.id, kind="vendors", data=VENDORS_CSV
    )
    reference.import_reference(
        services=services, user=stranger, client_id=b.id, kind="purchase_orders", data=POS_CSV
    )
    theirs = _one(services, stranger, b.id, _pdf("B-1"), "b.pdf")
    assert theirs.status == "needs_review"
    assert _reasons(services, stranger, theirs.id) == {R.off, R.streak_short}
    assert _state(services, stranger, b.id).clean_streak == 0


def _export(services, user, client_id) -> list[dict]:
    """The read-only export (GET /exports) with its default statuses (approved, exported)."""
    data = invoices.export_invoices(
        services=services,
        user=user,
        filters=invoices.InvoiceFilter(client_id=client_id),
        fmt="json",
    )
    return json.loads(data)["invoices"]


def _force_status(engine, invoice_id, status: str) -> None:
    """As the table owner (no door): put an invoice where the test needs it."""
    with engine.begin() as conn:
        conn.execute(text("alter table public.invoices disable trigger user"))
        conn.execute(text("update public.invoices set status = :s where id = :i"),
                     {"s": status, "i": invoice_id})  # fmt: skip
        conn.execute(text("alter table public.invoices enable trigger user"))


def test_a_ladder_approved_invoice_is_exported_with_no_touch_once(services, acme) -> None:
    client, owner, operator = acme
    version = _policy(services, owner, client.id, n=2)
    _promote(services, operator, client.id)
    straight = _one(services, operator, client.id, _pdf("X-1"), "x1.pdf")
    assert straight.status == "approved"
    trail = invoices.audit_log(services=services, user=operator, invoice_id=straight.id)
    # upload -> approved with no touch: the worker's steps and the ladder's acceptance only
    assert {e.action for e in trail} <= {
        "invoice.uploaded", "status.extracting", "status.extracted", "status.matched",
        "status.auto_approved", "trust_ladder.auto_approved",
    }, [e.action for e in trail]  # fmt: skip

    rows = [r for r in _export(services, operator, client.id) if r["id"] == str(straight.id)]
    assert len(rows) == 1
    assert rows[0]["approved_by"] == f"trust ladder (policy v{version})"
    assert rows[0]["approval_note"] == f"approved by trust ladder (policy v{version})"
    assert rows[0]["approved_at"]
    # the person-approved ones still name the person
    people = [r for r in _export(services, operator, client.id) if r["id"] != str(straight.id)]
    assert people and all(r["approved_by"] == operator.email for r in people), people

    # POST /exports/mark-exported: the ladder-approved invoice is marked like any approved one
    ids = invoices.approved_ids(
        services=services, user=operator, filters=invoices.InvoiceFilter(client_id=client.id)
    )
    assert straight.id in ids
    marked = invoices.mark_invoices_exported(
        services=services, user=operator, invoice_ids=ids, fmt="csv"
    )
    assert straight.id in marked.marked
    again = invoices.get_invoice(services=services, user=operator, invoice_id=straight.id)
    assert again.status == "exported"
    rows = [r for r in _export(services, operator, client.id) if r["id"] == str(straight.id)]
    assert len(rows) == 1 and rows[0]["approved_by"] == f"trust ladder (policy v{version})"
    # marking again moves nothing: it is exported once
    assert (
        invoices.mark_invoices_exported(
            services=services, user=operator, invoice_ids=[straight.id]
        ).marked
        == ()
    )


def test_an_invoice_in_auto_approved_without_the_ladder_is_not_exported_without_a_person(
    services, acme, engine
) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=3)
    inv = _one(services, operator, client.id, _pdf("O-1"), "o.pdf")
    assert inv.status == "needs_review"
    _force_status(engine, inv.id, "auto_approved")  # as an older path left it: no acceptance

    assert not [r for r in _export(services, operator, client.id) if r["id"] == str(inv.id)]
    assert (
        invoices.approved_ids(
            services=services, user=operator, filters=invoices.InvoiceFilter(client_id=client.id)
        )
        == []
    )
    skipped = invoices.mark_invoices_exported(
        services=services, user=operator, invoice_ids=[inv.id]
    )
    assert skipped.marked == () and skipped.skipped == (inv.id,)
    with (
        pytest.raises(InvalidTransition),
        user_session(services.engine, operator.claims) as s,
    ):
        s.execute(
            text("select public.invoice_transition(:i, 'status.exported', null, '{}', '{}')"),
            {"i": inv.id},
        )
    # a person approves it: now it is exported, with that person as the approver
    approved = review.approve_invoice(services=services, user=operator, invoice_id=inv.id)
    assert approved.status == "approved"
    rows = [r for r in _export(services, operator, client.id) if r["id"] == str(inv.id)]
    assert len(rows) == 1 and rows[0]["approved_by"] == operator.email
    assert invoices.mark_invoices_exported(
        services=services, user=operator, invoice_ids=[inv.id]
    ).marked == (inv.id,)


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_a_postgrest_caller_cannot_push_a_failing_invoice_through_the_ladder_or_export(
    services, acme, engine, role
) -> None:
    client, owner, operator = acme
    caller = owner if role == "owner" else operator
    version = _policy(services, owner, client.id, n=2, max_total="100.00")
    _promote(services, operator, client.id)
    inv = _one(services, operator, client.id, _pdf("A-1"), "a.pdf")  # 119.00 > 100.00
    assert inv.status == "needs_review"
    assert _reasons(services, operator, inv.id) == {R.total_over_limit}
    _force_status(engine, inv.id, "matched")  # where the worker decides

    # role authenticated with the caller's JWT claims, as PostgREST runs an RPC
    with pytest.raises(AutoApprovalRefused) as refused, user_session(engine, caller.claims) as s:
        s.execute(
            text(
                "select public.invoice_transition(:i, 'status.auto_approved', null,"
                " '{}', cast(:m as jsonb))"
            ),
            {"i": inv.id, "m": json.dumps({"rule": "trust_ladder", "policy_version": version})},
        )
    assert [e["code"] for e in refused.value.details["errors"]] == ["ladder.total_over_limit"]
    for attack in (
        "select public.invoice_transition(:i, 'status.exported', null, '{}', '{}')",
        "update public.invoices set status = 'exported' where id = :i",
        "update public.invoices set status = 'approved' where id = :i",
    ):
        with (
            pytest.raises((InvalidTransition, Forbidden)),
            user_session(engine, caller.claims) as s,
        ):
            s.execute(text(attack), {"i": inv.id})
    still = invoices.get_invoice(services=services, user=operator, invoice_id=inv.id)
    assert still.status == "matched"
    trail = invoices.audit_log(services=services, user=operator, invoice_id=inv.id)
    assert not [e for e in trail if e.action in ("trust_ladder.auto_approved", "status.exported")]
    assert not [r for r in _export(services, caller, client.id) if r["id"] == str(inv.id)]
    assert (
        invoices.mark_invoices_exported(services=services, user=caller, invoice_ids=[inv.id]).marked
        == ()
    )


# The streak is the vendor's record of being read and matched exactly (migration 20261207100000):
# purchase-order match decisions and the rejection of a flagged duplicate do not reset it.


def test_a_po_match_decision_keeps_the_streak_and_the_approval_counts_clean(services, acme) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2)
    _promote(services, operator, client.id)
    inv = _one(services, operator, client.id, _pdf("W-1", po="PO-9999"), "w.pdf")
    assert inv.status == "needs_review"
    assert R.po_match in _reasons(services, operator, inv.id)
    po = next(m for m in inv.matches if m.kind == "purchase_order")
    review.decide_match(services=services, user=operator, match_id=po.id, decision="reject")
    state = _state(services, operator, client.id)
    assert (state.clean_streak, state.last_reset_action) == (2, None)
    inv = invoices.get_invoice(services=services, user=operator, invoice_id=inv.id)
    review.approve_invoice(
        services=services, user=operator, invoice_id=inv.id, expected_version=inv.version
    )
    assert _state(services, operator, client.id).clean_streak == 3
    # the next invoice with a wrong PO is still refused: its own PO match is not in the auto band
    again = _one(services, operator, client.id, _pdf("W-2", po="PO-9999"), "w2.pdf")
    assert again.status == "needs_review"
    assert R.po_match in _reasons(services, operator, again.id)


def test_rejecting_a_flagged_duplicate_keeps_the_streak_another_rejection_resets(
    services, acme
) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2, blocks=[])
    _promote(services, operator, client.id)
    first = _one(services, operator, client.id, _pdf("DR-1"), "dr1.pdf")
    assert first.status == "approved"
    resent = _one(services, operator, client.id, _pdf("DR-1") + b"\n%resent", "dr1-again.pdf")
    assert _reasons(services, operator, resent.id) == {R.duplicate}
    review.reject_invoice(services=services, user=operator, invoice_id=resent.id,
                          reason="duplicate")  # fmt: skip
    state = _state(services, operator, client.id)
    assert (state.clean_streak, state.last_reset_action) == (2, None)
    other = _one(services, operator, client.id, _pdf("DR-2", po="PO-9999"), "dr2.pdf")
    assert other.status == "needs_review"
    review.reject_invoice(services=services, user=operator, invoice_id=other.id,
                          reason="not ours")  # fmt: skip
    state = _state(services, operator, client.id)
    assert (state.clean_streak, state.last_reset_action) == (0, "status.rejected")


def test_a_vendor_without_purchase_orders_needs_no_po_match(services, acme) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2)
    other = "Other Trading Ltd"  # V2: no purchase order in the client's reference data
    for i in range(2):
        inv = _one(services, operator, client.id, _pdf(f"S-{i}", vendor=other, vat="", po=None),
                   f"s{i}.pdf")  # fmt: skip
        assert inv.status == "needs_review"
        assert _reasons(services, operator, inv.id) == {R.streak_short}
        review.approve_invoice(
            services=services, user=operator, invoice_id=inv.id, expected_version=inv.version
        )
    straight = _one(services, operator, client.id, _pdf("S-2", vendor=other, vat="", po=None),
                    "s2.pdf")  # fmt: skip
    assert straight.status == "approved", _reasons(services, operator, straight.id)
    # a PO number printed on its invoice still needs its PO match in the auto band
    printed = _one(services, operator, client.id,
                   _pdf("S-3", vendor=other, vat="", po="PO-7777"), "s3.pdf")  # fmt: skip
    assert printed.status == "needs_review"
    assert R.po_match in _reasons(services, operator, printed.id)
    # and ACME, which has purchase orders, still needs one when its invoice prints none
    _promote(services, operator, client.id)
    missing = _one(services, operator, client.id, _pdf("S-4", po=None), "s4.pdf")
    assert _reasons(services, operator, missing.id) == {R.po_match}


def test_an_amount_repaired_from_ocr_digits_is_never_approved_unseen(
    services, acme, monkeypatch
) -> None:
    """A promoted vendor's invoice whose total a hint repaired from OCR digit confusions
    (``ocr-digit-repaired``) goes to a person, whatever the ladder says; the worker says why."""
    from core.extraction import hints as hint_module

    client, owner, operator = acme
    _policy(services, owner, client.id, n=2)
    _promote(services, operator, client.id)

    real = processing.apply_hints

    def repairing(extraction, vendor_hints, **kw):
        out, applied = real(extraction, vendor_hints, **kw)
        total = out.total
        evidence = (total.evidence or hint_module.Evidence()).model_copy(
            update={"signals": (*(total.evidence.signals if total.evidence else ()),
                                hint_module.REPAIR_SIGNAL)}
        )  # fmt: skip
        out = out.model_copy(update={"total": total.model_copy(update={"evidence": evidence})})
        return out, applied

    monkeypatch.setattr(processing, "apply_hints", repairing)
    held = _one(services, operator, client.id, _pdf("R-1"), "r1.pdf")
    assert held.status == "needs_review"
    trail = invoices.audit_log(services=services, user=operator, invoice_id=held.id)
    event = next(e for e in trail if e.action == "status.needs_review")
    assert event.meta["repaired"] == ["total"]
    assert not any(e.action == "trust_ladder.auto_approved" for e in trail)

    monkeypatch.setattr(processing, "apply_hints", real)
    passed = _one(services, operator, client.id, _pdf("R-2"), "r2.pdf")
    assert passed.status == "approved"  # the same invoice read plainly goes straight through


def test_a_scanned_row_read_by_its_amount_alone_is_never_approved_unseen(
    services, acme, monkeypatch
) -> None:
    """A promoted vendor's invoice with a line whose quantity x unit price the OCR could not
    check (``ocr-row-unverified``, core/extraction/line_items.py) goes to a person, even though
    its lines add up to the net; the worker names ``line_items`` as repaired."""
    from core.extraction import hints as hint_module
    from core.extraction.line_items import ROW_UNVERIFIED

    client, owner, operator = acme
    _policy(services, owner, client.id, n=2)
    _promote(services, operator, client.id)

    real = processing.apply_hints

    def unverified(extraction, vendor_hints, **kw):
        out, applied = real(extraction, vendor_hints, **kw)
        first = out.line_items[0]
        evidence = (first.evidence or hint_module.Evidence()).model_copy(
            update={"signals": (ROW_UNVERIFIED,)}
        )
        lines = [first.model_copy(update={"evidence": evidence}), *out.line_items[1:]]
        return out.model_copy(update={"line_items": lines}), applied

    monkeypatch.setattr(processing, "apply_hints", unverified)
    held = _one(services, operator, client.id, _pdf("U-1"), "u1.pdf")
    assert held.status == "needs_review"
    assert R.lines_unreconciled not in _reasons(services, operator, held.id)  # they add up
    trail = invoices.audit_log(services=services, user=operator, invoice_id=held.id)
    event = next(e for e in trail if e.action == "status.needs_review")
    assert event.meta["repaired"] == ["line_items"]

    monkeypatch.setattr(processing, "apply_hints", real)
    passed = _one(services, operator, client.id, _pdf("U-2"), "u2.pdf")
    assert passed.status == "approved"  # the same invoice read plainly goes straight through


# The lines condition (migration 20261207101000): the line items read must account for the net.
# Shown with the vendor without purchase orders, so that no PO line check sees the lines too.
OTHER = "Other Trading Ltd"
LINES = [
    # (case, document, expected reasons)
    ("no lines read", {"lines": []}, {R.lines_unreconciled}),
    # the faulty row is read with no amount: no check compares the lines with the printed net
    ("lines short of the net", {"lines": ["Widgets; 1; 100.00; 100.00", "Gadgets; 2; 9.50; "]},
     {R.lines_unreconciled}),
    ("no net read", {"line_total": ""}, {R.lines_unreconciled}),
    # all rows read with their amounts: the check sees the gap as well
    ("lines off the net", {"lines": ["Widgets; 1; 100.00; 100.00"]},
     {R.lines_unreconciled, R.check_failed}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "doc", "expected"), LINES, ids=[c[0] for c in LINES])
def test_lines_that_do_not_account_for_the_net_refuse_straight_through_approval(
    services, acme, case, doc, expected
) -> None:
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2, blocks=[])
    for i in range(2):
        inv = _one(services, operator, client.id,
                   _pdf(f"LP-{case}-{i}", vendor=OTHER, vat="", po=None), f"lp{i}.pdf")  # fmt: skip
        assert _reasons(services, operator, inv.id) == {R.streak_short}
        review.approve_invoice(
            services=services, user=operator, invoice_id=inv.id, expected_version=inv.version
        )
    inv = _one(services, operator, client.id,
               _pdf(f"LN-{case}", vendor=OTHER, vat="", po=None, **doc), "ln.pdf")  # fmt: skip
    assert _reasons(services, operator, inv.id) == expected, case
    assert inv.status == "needs_review"
    trail = invoices.audit_log(services=services, user=operator, invoice_id=inv.id)
    routed = next(e for e in trail if e.action == "status.needs_review")
    assert set(routed.meta["ladder"]) == {r.value for r in expected}
    reason = next(
        r
        for r in ladder.auto_approval_reasons(services=services, user=operator, invoice_id=inv.id)
        if r.code == R.lines_unreconciled.value
    )
    assert reason.detail["against"] == (None if case == "no net read" else "line_total")
    # a person can still approve it
    approved = review.approve_invoice(
        services=services, user=operator, invoice_id=inv.id, expected_version=inv.version
    )
    assert approved.status == "approved"
    # lines that add up (to the line total; or, none printed, to the net) go straight through
    ok = _one(services, operator, client.id,
              _pdf(f"LOK-{case}", vendor=OTHER, vat="", po=None), "lok.pdf")  # fmt: skip
    assert ok.status == "approved", _reasons(services, operator, ok.id)
    split = ["Widgets; 1; 60.00; 60.00", "Gadgets; 2; 20.00; 40.00"]
    net = _one(services, operator, client.id,
               _pdf(f"LNET-{case}", vendor=OTHER, vat="", po=None, lines=split, line_total="",
                    subtotal="100.00"), "lnet.pdf")  # fmt: skip
    assert net.status == "approved", _reasons(services, operator, net.id)


def test_choosing_a_new_vendor_is_no_correction_its_ladder_counts_from_the_first_invoice(
    services, acme
) -> None:
    """A vendor new to the master: its first invoice matches no vendor, and the operator creates
    the vendor from it. The product proposed none, which was right, so that choice is a decision
    like confirming a proposal, not a correction: the first approval counts as clean and, with
    N = 2, the vendor's third invoice goes straight through. Before, the first invoice reset the
    streak (match.overridden) and the ladder opened one invoice later."""
    from core.workflow import vendor_creation

    client, owner, operator = acme
    _policy(services, owner, client.id, n=2)
    name, vat = "Zyxwv Unheard Of Company", "FR40303265045"
    first = _one(services, operator, client.id, _pdf("Z-1", vendor=name, vat=vat, po=None),
                 "z1.pdf")  # fmt: skip
    assert first.status == "needs_review" and first.vendor_id is None
    made = vendor_creation.create_vendor_from_invoice(
        services=services, user=operator, invoice_id=first.id,
        expected_version=first.version, name=name,
    )  # fmt: skip
    review.approve_invoice(services=services, user=operator, invoice_id=first.id,
                           expected_version=made.invoice.version)  # fmt: skip
    state = _state(services, operator, client.id, name)
    assert (state.clean_streak, state.last_reset_action) == (1, None)
    second = _one(services, operator, client.id, _pdf("Z-2", vendor=name, vat=vat, po=None),
                  "z2.pdf")  # fmt: skip
    assert second.vendor_id == made.vendor.id
    assert _reasons(services, operator, second.id) == {R.streak_short}
    review.approve_invoice(services=services, user=operator, invoice_id=second.id,
                           expected_version=second.version)  # fmt: skip
    third = _one(services, operator, client.id, _pdf("Z-3", vendor=name, vat=vat, po=None),
                 "z3.pdf")  # fmt: skip
    assert third.status == "approved"
    # the ladder's own approval adds nothing to the streak
    assert _state(services, operator, client.id, name).clean_streak == 2
