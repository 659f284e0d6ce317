"""Reference import replaces purchase-order and goods-receipt lines, linked to the right PO line."""

from __future__ import annotations

from sqlalchemy import text

from core.workflow import reference
from tests.integration.workflow.conftest import as_user

VENDORS = b"vendor_code,name\nV1,ACME Industrial Supplies GmbH\n"
POS = (
    b"po_number,vendor,currency,line_no,description,product_code,quantity,unit_price,amount\n"
    b"PO-1,V1,EUR,1,Bolts,SKU-1,10,2.50,25.00\n"
    b"PO-1,V1,EUR,2,Nuts,SKU-2,4,1.00,4.00\n"
)
RECEIPTS = b"receipt_number,po_number,line_no,quantity\nGR-1,PO-1,1,8\nGR-1,PO-1,2,4\n"


def _import(services, user, client_id, kind, data):
    report = reference.import_reference(
        services=services, user=user, client_id=client_id, kind=kind, data=data
    )
    assert not report.errors, report.errors
    return report


def test_receipt_lines_point_at_their_po_lines_and_reimport_replaces_them(
    services, role_users, engine
):
    client = role_users
    operator = as_user(client.members["operator"])
    _import(services, operator, client.id, "vendors", VENDORS)
    _import(services, operator, client.id, "purchase_orders", POS)
    _import(services, operator, client.id, "goods_receipts", RECEIPTS)
    # A second import of the same receipt replaces its lines instead of adding to them.
    _import(services, operator, client.id, "goods_receipts", RECEIPTS)

    with engine.connect() as conn:
        po_lines = conn.execute(
            text(
                "select l.line_no, l.product_code, l.quantity from public.purchase_order_lines l"
                " join public.purchase_orders p on p.id = l.purchase_order_id"
                " where p.client_id = :c order by l.line_no"
            ),
            {"c": client.id},
        ).all()
        receipt_lines = conn.execute(
            text(
                "select g.line_no, pl.product_code, g.quantity"
                " from public.goods_receipt_lines g"
                " join public.purchase_order_lines pl on pl.id = g.purchase_order_line_id"
                " where g.client_id = :c order by g.line_no"
            ),
            {"c": client.id},
        ).all()
    assert [(n, c, float(q)) for n, c, q in po_lines] == [(1, "SKU-1", 10.0), (2, "SKU-2", 4.0)]
    assert [(n, c, float(q)) for n, c, q in receipt_lines] == [(1, "SKU-1", 8.0), (2, "SKU-2", 4.0)]
