"""Re-importing purchase orders and goods receipts updates lines in place, keeping receipt links."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from core.db import goods_receipt_repo
from core.db.session import user_session
from core.errors import NotFound
from core.matching.purchase_orders import match_purchase_orders
from core.workflow import reference
from tests.integration.workflow.conftest import as_user

VENDORS = b"vendor_code,name\nV1,ACME Industrial Supplies GmbH\n"
HEAD = b"po_number,vendor,currency,line_no,description,product_code,quantity,unit_price,amount\n"
POS = HEAD + (
    b"PO-1,V1,EUR,1,Bolts,SKU-1,10,2.50,25.00\n"
    b"PO-1,V1,EUR,2,Nuts,SKU-2,4,1.00,4.00\n"
    b"PO-2,V1,EUR,1,Washers,SKU-3,100,0.10,10.00\n"
)
# PO-1 line 1: quantity 10 -> 12 and price 2.50 -> 2.40; a new line 3; PO-2 unchanged.
POS_CHANGED = HEAD + (
    b"PO-1,V1,EUR,1,Bolts,SKU-1,12,2.40,28.80\n"
    b"PO-1,V1,EUR,2,Nuts,SKU-2,4,1.00,4.00\n"
    b"PO-1,V1,EUR,3,Screws,SKU-4,50,0.20,10.00\n"
    b"PO-2,V1,EUR,1,Washers,SKU-3,100,0.10,10.00\n"
)
POS_WITHOUT_LINE_2 = HEAD + b"PO-1,V1,EUR,1,Bolts,SKU-1,10,2.50,25.00\n"
RECEIPTS = (
    b"receipt_number,po_number,line_no,quantity\n"
    b"GR-1,PO-1,1,8\nGR-1,PO-1,2,4\nGR-2,PO-1,1,2\nGR-3,PO-2,1,100\n"
)


def _import(services, user, client_id, kind, data):
    return reference.import_reference(
        services=services, user=user, client_id=client_id, kind=kind, data=data
    )


def _clean_import(services, user, client_id, kind, data):
    report = _import(services, user, client_id, kind, data)
    assert not report.errors, report.errors
    return report


def _po_lines(engine, client_id):
    """(po_number, line_no) -> (id, quantity, unit_price)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select p.po_number, l.line_no, l.id, l.quantity, l.unit_price"
                " from public.purchase_order_lines l"
                " join public.purchase_orders p on p.id = l.purchase_order_id"
                " where p.client_id = :c"
            ),
            {"c": client_id},
        ).all()
    return {(po, no): (lid, float(q), float(p)) for po, no, lid, q, p in rows}


def _receipt_lines(engine, client_id):
    """(receipt_number, line_no) -> (receipt line id, linked PO line id, quantity)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select r.receipt_number, g.line_no, g.id, g.purchase_order_line_id, g.quantity"
                " from public.goods_receipt_lines g"
                " join public.goods_receipts r on r.id = g.goods_receipt_id"
                " where r.client_id = :c"
            ),
            {"c": client_id},
        ).all()
    return {(n, no): (gid, link, float(q)) for n, no, gid, link, q in rows}


@pytest.fixture
def loaded(services, role_users, engine):
    """A client with vendors, two POs and three receipts imported by its operator."""
    operator = as_user(role_users.members["operator"])
    _clean_import(services, operator, role_users.id, "vendors", VENDORS)
    _clean_import(services, operator, role_users.id, "purchase_orders", POS)
    _clean_import(services, operator, role_users.id, "goods_receipts", RECEIPTS)
    return role_users, operator


def test_reimporting_the_same_pos_keeps_line_ids_and_receipt_links(services, loaded, engine):
    client, operator = loaded
    po_before = _po_lines(engine, client.id)
    gr_before = _receipt_lines(engine, client.id)
    assert gr_before[("GR-1", 1)][1] == po_before[("PO-1", 1)][0]
    assert gr_before[("GR-1", 2)][1] == po_before[("PO-1", 2)][0]
    assert gr_before[("GR-3", 1)][1] == po_before[("PO-2", 1)][0]

    report = _clean_import(services, operator, client.id, "purchase_orders", POS)

    assert (report.created, report.updated, report.warnings) == (0, 2, [])
    assert _po_lines(engine, client.id) == po_before
    assert _receipt_lines(engine, client.id) == gr_before


def test_reimporting_a_changed_po_updates_lines_in_place_and_three_way_still_matches(
    services, loaded, engine
):
    client, operator = loaded
    po_before = _po_lines(engine, client.id)
    gr_before = _receipt_lines(engine, client.id)

    report = _clean_import(services, operator, client.id, "purchase_orders", POS_CHANGED)

    assert report.warnings == []
    po_after = _po_lines(engine, client.id)
    assert po_after[("PO-1", 1)] == (po_before[("PO-1", 1)][0], 12.0, 2.40)
    assert po_after[("PO-1", 2)] == po_before[("PO-1", 2)]
    assert po_after[("PO-2", 1)] == po_before[("PO-2", 1)]
    assert po_after[("PO-1", 3)][1:] == (50.0, 0.20)
    assert _receipt_lines(engine, client.id) == gr_before

    with user_session(services.engine, operator.claims) as s:
        frames = goods_receipt_repo.three_way_frames(s, client.id, po_numbers=["PO-1"])
    received = {
        (r["po_number"], r["line_no"]): float(r["quantity_received"]) for r in frames["receipts"]
    }
    assert received == {("PO-1", 1): 10.0, ("PO-1", 2): 4.0}  # GR-1 8 + GR-2 2 on line 1

    invoice = pd.DataFrame(
        [
            {
                "invoice_id": "I1",
                "vendor_id": "v",
                "po_number": "PO-1",
                "total": 42.80,
                "currency": "EUR",
            }
        ]
    )
    pos = pd.DataFrame([{"po_number": "PO-1", "vendor_id": "v", "total": 42.80, "currency": "EUR"}])
    invoice_lines = pd.DataFrame(
        {
            "invoice_id": ["I1"] * 3,
            "line_no": [1, 2, 3],
            "product_code": ["SKU-1", "SKU-2", "SKU-4"],
            "quantity": [10, 4, 50],
            "unit_price": [2.40, 1.00, 0.20],
        }
    )
    headers, lines = match_purchase_orders(
        invoice,
        pos,
        invoice_lines=invoice_lines,
        po_lines=pd.DataFrame(frames["po_lines"]),
        receipts=pd.DataFrame(frames["receipts"]),
    )
    assert headers.iloc[0]["mode"] == "3-way"
    # Received lines 1 and 2 match cleanly; only the never-received new line 3 is an exception.
    assert {(r.line_no, r.exception) for r in lines.itertuples()} == {(3, "line.not_received")}


def test_dropping_a_po_line_unlinks_only_its_receipt_lines_and_warns(services, loaded, engine):
    client, operator = loaded
    po_before = _po_lines(engine, client.id)

    report = _clean_import(services, operator, client.id, "purchase_orders", POS_WITHOUT_LINE_2)

    assert len(report.warnings) == 1
    warning = report.warnings[0]
    assert (
        warning.row == 2 and "PO-1" in warning.message and "1 goods-receipt line" in warning.message
    )
    po_after = _po_lines(engine, client.id)
    assert ("PO-1", 2) not in po_after
    assert po_after[("PO-1", 1)] == po_before[("PO-1", 1)]
    # PO-2 is not in this file at all: an import only syncs the POs it contains.
    assert po_after[("PO-2", 1)] == po_before[("PO-2", 1)]
    gr = _receipt_lines(engine, client.id)
    assert gr[("GR-1", 1)][1] == po_before[("PO-1", 1)][0]
    assert gr[("GR-1", 2)][1] is None
    rows, _ = reference.list_goods_receipts(
        services=services, user=operator, client_id=client.id, po_number="PO-1"
    )
    assert {r.receipt_number: r.unlinked_line_count for r in rows} == {"GR-1": 1, "GR-2": 0}


def test_reimporting_goods_receipts_updates_their_lines_in_place(services, loaded, engine):
    client, operator = loaded
    before = _receipt_lines(engine, client.id)

    same = _clean_import(services, operator, client.id, "goods_receipts", RECEIPTS)
    assert (same.created, same.updated, same.warnings) == (0, 3, [])
    assert _receipt_lines(engine, client.id) == before

    changed = RECEIPTS.replace(b"GR-1,PO-1,2,4\n", b"GR-1,PO-1,2,3\n").replace(
        b"GR-2,PO-1,1,2\n", b""
    )
    report = _clean_import(services, operator, client.id, "goods_receipts", changed)
    after = _receipt_lines(engine, client.id)
    assert after[("GR-1", 1)] == before[("GR-1", 1)]
    assert after[("GR-1", 2)] == (*before[("GR-1", 2)][:2], 3.0)
    # GR-2 is not in the file: receipts missing from an import are left alone.
    assert after[("GR-2", 1)] == before[("GR-2", 1)]
    assert (report.created, report.updated) == (0, 2)


def test_repeated_po_line_numbers_are_refused_and_unknown_receipt_lines_warned(
    services, role_users, engine
):
    operator = as_user(role_users.members["operator"])
    _clean_import(services, operator, role_users.id, "vendors", VENDORS)
    report = _import(
        services,
        operator,
        role_users.id,
        "purchase_orders",
        HEAD + b"PO-9,V1,EUR,1,Bolts,SKU-1,1,1,1\nPO-9,V1,EUR,1,Nuts,SKU-2,2,1,2\n",
    )
    assert [(e.row, e.field) for e in report.errors] == [(3, "line_no")]
    assert report.created == 1
    lines = _po_lines(engine, role_users.id)
    assert set(lines) == {("PO-9", 1)} and lines[("PO-9", 1)][1] == 1.0

    receipts = _import(
        services,
        operator,
        role_users.id,
        "goods_receipts",
        b"receipt_number,po_number,line_no,quantity\nGR-9,PO-9,1,1\nGR-9,PO-9,7,1\n",
    )
    assert receipts.errors == []
    assert [(w.row, w.field) for w in receipts.warnings] == [(3, "line_no")]
    assert "no line 7" in receipts.warnings[0].message
    with engine.connect() as conn:
        meta = conn.execute(
            text(
                "select meta from public.audit_events where client_id = :c"
                " and action = 'reference.imported.goods_receipts'"
            ),
            {"c": role_users.id},
        ).scalar_one()
    assert meta["warnings"] == 1


def test_goods_receipt_listing_pages_filters_by_po_and_hides_other_clients(
    services, loaded, make_user
):
    client, _ = loaded
    viewer = as_user(client.members["viewer"])
    rows, count = reference.list_goods_receipts(
        services=services, user=viewer, client_id=client.id, limit=2
    )
    assert count == 3 and [r.receipt_number for r in rows] == ["GR-1", "GR-2"]
    first = rows[0]
    assert (first.po_number, first.line_count, float(first.quantity_total)) == (
        "PO-1",
        2,
        12.0,
    )
    rows, count = reference.list_goods_receipts(
        services=services, user=viewer, client_id=client.id, limit=2, offset=2
    )
    assert count == 3 and [r.receipt_number for r in rows] == ["GR-3"]
    rows, count = reference.list_goods_receipts(
        services=services, user=viewer, client_id=client.id, po_number="PO-2"
    )
    assert count == 1 and [r.receipt_number for r in rows] == ["GR-3"]
    rows, count = reference.list_goods_receipts(
        services=services, user=viewer, client_id=client.id, po_number="PO-404"
    )
    assert (rows, count) == ([], 0)

    outsider = as_user(make_user())
    with pytest.raises(NotFound):
        reference.list_goods_receipts(services=services, user=outsider, client_id=client.id)
