"""Issue 14 item 2 through the workflow, with the real extraction pipeline: a correction teaches
the vendor's hint (label/anchor and region), the vendor's next invoice is read by it, an approval
that keeps the value raises its weight, a contrary correction moves it, another removes it, and
nothing of it reaches another client."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from core.errors import NotFound
from core.workflow import invoices, reference, review
from tests.integration.workflow.conftest import as_user, make_pdf, process_one

VENDOR = "Kestrel Borough Plumbing Ltd"
VENDORS_CSV = f"vendor_code,name,vat_id\nK1,{VENDOR},GB123456789\n".encode()


def _doc(ref: str, lines: list[tuple[str, str]], date: str, works: str | None = None) -> bytes:
    total = f"{sum(float(a) for _, a in lines):.2f}"
    return make_pdf(
        [
            VENDOR,
            "12 Harbour Street, Leeds LS1 4AB",
            "VAT Reg: GB123456789",
            "INVOICE",
            f"Job sheet {ref}",
            *([f"Works order {works}"] if works else []),
            f"Dated {date}",
            "Bill to: Buyer Corp Ltd",
            "Description Qty Unit price Amount",
            *[f"{d} 1 {a} {a}" for d, a in lines],
            f"Balance payable GBP {total}",
        ]
    )


def _hints(services, user, client_id):
    return {
        h.field: h
        for h in reference.list_vendor_hints(services=services, user=user, client_id=client_id)
    }


def _events(engine, client_id, action):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "select coalesce(meta->>'field', after->>'field', before->>'field'), actor_id"
                " from public.audit_events"
                " where client_id = :c and action = :a order by id"
            ),
            {"c": client_id, "a": action},
        ).all()


def test_a_hint_is_learned_used_weighted_moved_and_removed(
    real_services, role_users, engine
) -> None:
    services = real_services
    client = role_users
    operator = as_user(client.members["operator"])
    reference.import_reference(
        services=services, user=operator, client_id=client.id, kind="vendors", data=VENDORS_CSV
    )

    # 1. the offline rules do not know "Job sheet" or "Balance payable": the operator types them
    first = process_one(
        services,
        operator,
        client.id,
        "a.pdf",
        _doc("KX-4471", [("Repair", "250.00")], "14/03/2024"),
    )
    assert first.vendor_id is not None and first.invoice_number is None and first.total is None
    corrected = review.correct_fields(
        services=services,
        user=operator,
        invoice_id=first.id,
        changes={"invoice_number": "KX-4471", "total": "250.00"},
        expected_version=first.version,
    )
    hints = _hints(services, operator, client.id)
    assert set(hints) == {"invoice_number", "total"}
    assert (hints["invoice_number"].anchor, hints["invoice_number"].direction) == (
        "job sheet",
        "inline",
    )
    assert hints["total"].anchor == "balance payable gbp"
    assert hints["total"].learned_from == client.members["operator"].email
    assert hints["total"].source_invoice_id == first.id and float(hints["total"].weight) == 1
    review.approve_invoice(
        services=services, user=operator, invoice_id=first.id, expected_version=corrected.version
    )

    # 2. the vendor's next invoice (same layout, other values) is read by the hints
    second = process_one(
        services,
        operator,
        client.id,
        "b.pdf",
        _doc("KX-5120", [("Valve", "300.00"), ("Labour", "110.00")], "02/04/2024"),
    )
    assert second.invoice_number == "KX-5120" and second.total == Decimal("410.00")
    review.approve_invoice(
        services=services, user=operator, invoice_id=second.id, expected_version=second.version
    )
    hints = _hints(services, operator, client.id)
    assert float(hints["invoice_number"].weight) == 2 and hints["invoice_number"].agreements == 1

    # 3. a contrary correction: this vendor's invoice number is the works order now
    third = process_one(
        services,
        operator,
        client.id,
        "c.pdf",
        _doc("KX-6001", [("Pump", "99.00")], "03/05/2024", works="WO-3349"),
    )
    assert third.invoice_number == "KX-6001"  # still the old hint
    review.correct_fields(
        services=services,
        user=operator,
        invoice_id=third.id,
        changes={"invoice_number": "WO-3349"},
        expected_version=third.version,
    )
    moved = _hints(services, operator, client.id)["invoice_number"]
    assert (moved.anchor, float(moved.weight), moved.contradictions) == ("works order", 1, 1)
    fourth = process_one(
        services,
        operator,
        client.id,
        "d.pdf",
        _doc("KX-6002", [("Seal", "12.00")], "04/05/2024", works="WO-3350"),
    )
    assert fourth.invoice_number == "WO-3350"  # the old hint is un-learned

    # 4. corrected to a value the page does not print: the hint goes
    review.correct_fields(
        services=services,
        user=operator,
        invoice_id=fourth.id,
        changes={"invoice_number": "TYPED-BY-HAND-1"},
        expected_version=fourth.version,
    )
    assert "invoice_number" not in _hints(services, operator, client.id)
    fifth = process_one(
        services,
        operator,
        client.id,
        "e.pdf",
        _doc("KX-6003", [("Seal", "13.00")], "05/05/2024", works="WO-3351"),
    )
    assert fifth.invoice_number != "WO-3351"
    assert fifth.total == Decimal("13.00")  # the total's hint is still there

    learned = _events(engine, client.id, "vendor.hint_learned")
    # (the first approval also confirmed the date "Dated 14/03/2024", read unsure: learned)
    assert sorted(f for f, _ in learned) == ["invoice_date", "invoice_number", "total"]
    assert {who for _, who in learned} == {client.members["operator"].id}
    assert [f for f, _ in _events(engine, client.id, "vendor.hint_removed")] == ["invoice_number"]
    weighted = [f for f, _ in _events(engine, client.id, "vendor.hint_weighted")]
    assert weighted.count("invoice_number") == 4  # agreed, contradicted, moved, contradicted


def test_hints_stay_in_their_client_and_owners_remove_them(
    real_services, role_users, make_user, make_client
) -> None:
    services = real_services
    a = role_users
    operator_a = as_user(a.members["operator"])
    viewer_a = as_user(a.members["viewer"])
    reference.import_reference(
        services=services, user=operator_a, client_id=a.id, kind="vendors", data=VENDORS_CSV
    )
    first = process_one(
        services, operator_a, a.id, "a.pdf", _doc("KX-1", [("Repair", "50.00")], "14/03/2024")
    )
    review.correct_fields(
        services=services,
        user=operator_a,
        invoice_id=first.id,
        changes={"invoice_number": "KX-1"},
        expected_version=first.version,
    )
    assert set(_hints(services, viewer_a, a.id)) == {"invoice_number"}

    owner_b_user = make_user()
    b = make_client(owner_b_user)
    owner_b = as_user(owner_b_user)
    reference.import_reference(
        services=services, user=owner_b, client_id=b.id, kind="vendors", data=VENDORS_CSV
    )
    theirs = process_one(
        services, owner_b, b.id, "b.pdf", _doc("KX-2", [("Repair", "60.00")], "15/03/2024")
    )
    assert theirs.invoice_number is None  # A's hint never reads B's invoice
    assert _hints(services, owner_b, b.id) == {}
    with pytest.raises(NotFound):
        reference.list_vendor_hints(services=services, user=owner_b, client_id=a.id)
    hint = _hints(services, viewer_a, a.id)["invoice_number"]
    with pytest.raises(NotFound):
        reference.remove_vendor_hint(
            services=services, user=owner_b, client_id=b.id, hint_id=hint.id
        )
    owner_a = as_user(a.members["owner"])
    reference.remove_vendor_hint(services=services, user=owner_a, client_id=a.id, hint_id=hint.id)
    assert _hints(services, viewer_a, a.id) == {}
    after = invoices.get_invoice(services=services, user=owner_a, invoice_id=first.id)
    assert after.invoice_number == "KX-1"  # removing a hint changes no invoice


CLEANER = "Harbour Lane Cleaning Services Ltd"


def _cleaner_in_master(services, operator, client_id) -> None:
    """The cleaning vendor in the client's vendor master (its VAT id, no currency)."""
    reference.import_reference(
        services=services,
        user=operator,
        client_id=client_id,
        kind="vendors",
        data=f"vendor_code,name,vat_id\nH1,{CLEANER},GB987654321\n".encode(),
    )


def _cleaning(ref: str, date: str, total: str, symbol: str = "$") -> bytes:
    """A vendor whose dates are numeric (day or month first?) and whose total prints only "$"."""
    return make_pdf(
        [
            CLEANER,
            "12 Harbour Street, Leeds LS1 4AB",
            "VAT Reg: GB987654321",
            "INVOICE",
            f"Invoice number: {ref}",
            f"Date: {date}",
            "Bill to: Buyer Corp Ltd",
            "Description Qty Unit price Amount",
            f"Office cleaning 1 {total} {total}",
            f"Total {total} {symbol}",
        ]
    )


def _extracted_meta(services, user, invoice_id) -> dict:
    trail = invoices.audit_log(services=services, user=user, invoice_id=invoice_id)
    return next(e.meta for e in trail if e.action == "status.extracted")


def test_an_approval_teaches_the_unsure_fields_and_the_vendors_currency(
    real_services, role_users, engine
) -> None:
    services = real_services
    client = role_users
    operator = as_user(client.members["operator"])
    _cleaner_in_master(services, operator, client.id)
    first = process_one(services, operator, client.id, "h1.pdf", _cleaning("HL-1001", "05/03/2024",
                                                                    "250.00"))  # fmt: skip
    assert first.vendor_id is not None and first.currency == "USD"
    assert "hints" not in _extracted_meta(services, operator, first.id)
    # the date was day first: the operator corrects it (a correction teaches that hint) and
    # approves the rest as read (number, total and "$" = USD read unsure: confirmed)
    corrected = review.correct_fields(
        services=services,
        user=operator,
        invoice_id=first.id,
        changes={"invoice_date": "2024-03-05"},
        expected_version=first.version,
    )
    review.approve_invoice(
        services=services, user=operator, invoice_id=first.id, expected_version=corrected.version
    )
    hints = _hints(services, operator, client.id)
    assert set(hints) == {"invoice_date", "invoice_number", "total"}
    assert hints["invoice_date"].day_first is True
    assert hints["total"].source_invoice_id == first.id
    assert sorted(f for f, _ in _events(engine, client.id, "vendor.hint_learned")) == [
        "invoice_date",
        "invoice_number",
        "total",
    ]

    # the vendor's next invoice of that layout is read by the hints, its "$" confirmed as USD
    second = process_one(services, operator, client.id, "h2.pdf", _cleaning("HL-1002", "07/04/2024",
                                                                     "310.00"))  # fmt: skip
    meta = _extracted_meta(services, operator, second.id)
    assert set(meta["hints"]) == {"invoice_date", "invoice_number", "total", "currency"}
    assert meta["hints"]["currency"] == "vendor-currency"
    assert str(second.invoice_date) == "2024-04-07" and second.total == Decimal("310.00")
    assert second.invoice_number == "HL-1002" and second.currency == "USD"
    with engine.connect() as conn:
        confidence = conn.execute(
            text("select extraction -> 'currency' ->> 'confidence' from public.invoices"
                 " where id = :i"),
            {"i": second.id},
        ).scalar_one()  # fmt: skip
    assert float(confidence) == 0.9


def test_the_vendors_master_currency_settles_a_bare_dollar_only(
    real_services, role_users, engine
) -> None:
    services = real_services
    client = role_users
    operator = as_user(client.members["operator"])
    _cleaner_in_master(services, operator, client.id)

    def master(currency: str) -> None:  # the vendor master's currency (no reference import has it)
        with engine.begin() as conn:
            conn.execute(
                text("update public.vendors set default_currency = :cur where client_id = :c"),
                {"cur": currency, "c": client.id},
            )

    def read(n: int):
        inv = process_one(services, operator, client.id, f"c{n}.pdf",
                   _cleaning(f"HL-200{n}", "05/03/2024", "250.00"))  # fmt: skip
        return inv, _extracted_meta(services, operator, inv.id).get("hints") or {}

    master("EUR")  # not a dollar: the bare "$" stays the extractor's unsure USD
    inv, hints = read(1)
    assert inv.currency == "USD" and "currency" not in hints
    master("CAD")  # a dollar: the vendor's dollar
    inv, hints = read(2)
    assert inv.currency == "CAD" and hints == {"currency": "vendor-currency"}
    master("USD")  # the same: confirmed
    inv, hints = read(3)
    assert inv.currency == "USD" and hints == {"currency": "vendor-currency"}


def test_a_printed_currency_code_is_never_replaced(real_services, role_users, engine) -> None:
    services = real_services
    client = role_users
    operator = as_user(client.members["operator"])
    _cleaner_in_master(services, operator, client.id)
    with engine.begin() as conn:
        conn.execute(
            text("update public.vendors set default_currency = 'CAD' where client_id = :c"),
            {"c": client.id},
        )
    data = _cleaning("HL-3001", "05/03/2024", "250.00", symbol="US$")
    inv = process_one(services, operator, client.id, "u1.pdf", data)
    assert inv.currency == "USD"
    assert "currency" not in (_extracted_meta(services, operator, inv.id).get("hints") or {})


def test_an_approval_moves_a_hint_that_read_nothing_and_never_agreed(
    real_services, role_users, engine
) -> None:
    """A hint anchored where the vendor does not print the field (learned on a label that is
    really a changing value) reads nothing on the vendor's invoices; before, an approval that
    confirmed the unsure field kept it (a hint existed), so the field waited for a person on
    every invoice. It now moves to where the approved value stands, audited, and reads the next
    invoice. A hint that has agreed with a person before is left alone (another layout)."""
    services = real_services
    client = role_users
    operator = as_user(client.members["operator"])
    _cleaner_in_master(services, operator, client.id)
    with engine.begin() as conn:
        vendor_id = conn.execute(
            text("select id from public.vendors where client_id = :c"), {"c": client.id}
        ).scalar_one()
        for field, agreements in (("invoice_number", 0), ("total", 2)):
            conn.execute(
                text(
                    "insert into public.vendor_extraction_hints (client_id, vendor_id, field,"
                    " anchor, direction, page, region, agreements) values (:c, :v, :f,"
                    " 'customer account', 'right', 1, array[0.1, 0.1, 0.2, 0.12]::numeric[], :a)"
                ),
                {"c": client.id, "v": vendor_id, "f": field, "a": agreements},
            )
    first = process_one(services, operator, client.id, "s1.pdf", _cleaning("HL-1001", "05/03/2024",
                                                                    "250.00"))  # fmt: skip
    assert "hints" not in _extracted_meta(services, operator, first.id)  # neither hint reads
    corrected = review.correct_fields(
        services=services,
        user=operator,
        invoice_id=first.id,
        changes={"invoice_date": "2024-03-05"},
        expected_version=first.version,
    )
    review.approve_invoice(
        services=services, user=operator, invoice_id=first.id, expected_version=corrected.version
    )
    hints = _hints(services, operator, client.id)
    moved = hints["invoice_number"]
    assert (moved.anchor, moved.source_invoice_id) == ("invoice number", first.id)
    assert float(moved.weight) == 1.0
    # it agreed with a person before: kept as it was
    assert hints["total"].anchor == "customer account"
    with engine.connect() as conn:
        trail = conn.execute(
            text(
                "select before ->> 'anchor', after ->> 'anchor' from public.audit_events"
                " where client_id = :c and action = 'vendor.hint_weighted'"
                " and meta ->> 'field' = 'invoice_number'"
            ),
            {"c": client.id},
        ).all()
    assert [tuple(r) for r in trail] == [("customer account", "invoice number")]

    second = process_one(services, operator, client.id, "s2.pdf", _cleaning("HL-1002", "07/04/2024",
                                                                     "310.00"))  # fmt: skip
    assert "invoice_number" in _extracted_meta(services, operator, second.id)["hints"]
    assert second.invoice_number == "HL-1002"
