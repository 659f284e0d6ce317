"""SQL for goods receipts: idempotent import, listing, and the frames a 3-way match reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.records import GoodsReceipt
from core.db.reference_repo import sync_lines


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings().all()]


def upsert_goods_receipt(
    s: Session,
    *,
    client_id: UUID,
    receipt_number: str,
    po_id: UUID,
    received_on: Any,
    lines: Sequence[Mapping[str, Any]],
) -> tuple[UUID, bool]:
    """Insert or update a goods receipt by number and sync its lines by line_no."""
    row = s.execute(
        text(
            "insert into public.goods_receipts (client_id, purchase_order_id, receipt_number,"
            " received_on) values (:c, :p, :n, :d) on conflict (client_id, receipt_number)"
            " do update set purchase_order_id = excluded.purchase_order_id,"
            " received_on = excluded.received_on returning id, (xmax = 0) as created"
        ),
        {"c": client_id, "p": po_id, "n": receipt_number, "d": received_on},
    ).one()
    gr_id, created = row[0], bool(row[1])
    sync_lines(
        s,
        table="goods_receipt_lines",
        parent_column="goods_receipt_id",
        parent_id=gr_id,
        client_id=client_id,
        columns=("line_no", "purchase_order_line_id", "quantity"),
        lines=lines,
    )
    return gr_id, created


_LIST = (
    "select gr.id, gr.client_id, gr.receipt_number, gr.purchase_order_id, po.po_number,"
    " gr.received_on, gr.created_at, coalesce(l.line_count, 0) as line_count,"
    " coalesce(l.unlinked, 0) as unlinked_line_count, l.quantity_total"
    " from public.goods_receipts gr"
    " join public.purchase_orders po on po.id = gr.purchase_order_id"
    " left join lateral (select count(*) as line_count,"
    "   count(*) filter (where g.purchase_order_line_id is null) as unlinked,"
    "   sum(g.quantity) as quantity_total"
    "   from public.goods_receipt_lines g where g.goods_receipt_id = gr.id) l on true"
)
_COUNT = (
    "select count(*) from public.goods_receipts gr"
    " join public.purchase_orders po on po.id = gr.purchase_order_id"
)


def list_goods_receipts(
    s: Session, client_id: UUID, *, po_number: str | None, limit: int, offset: int
) -> tuple[list[GoodsReceipt], int]:
    """A page of a client's goods receipts (optionally of one PO number) and their count."""
    where = " where gr.client_id = :c" + (" and po.po_number = :po" if po_number else "")
    params = {"c": client_id, "po": po_number, "l": limit, "o": offset}
    rows = s.execute(
        text(_LIST + where + " order by gr.receipt_number, gr.id limit :l offset :o"), params
    )
    count = s.execute(text(_COUNT + where), params).scalar_one()
    return [GoodsReceipt.from_row(r) for r in rows.mappings()], int(count)


def three_way_frames(
    s: Session, client_id: UUID, *, po_numbers: Sequence[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """PO lines and received quantities per PO line, shaped as ``match_purchase_orders`` reads.

    Receipts count against the PO line they are linked to; unlinked receipt lines count nowhere.
    """
    params = {"c": client_id, "nums": None if po_numbers is None else list(po_numbers)}
    po_lines = _rows(
        s.execute(
            text(
                "select p.po_number, l.line_no, l.quantity, l.unit_price, l.product_code,"
                " l.description from public.purchase_order_lines l"
                " join public.purchase_orders p on p.id = l.purchase_order_id"
                " where l.client_id = :c and (cast(:nums as text[]) is null"
                " or p.po_number = any(cast(:nums as text[]))) order by p.po_number, l.line_no"
            ),
            params,
        )
    )
    receipts = _rows(
        s.execute(
            text(
                "select p.po_number, l.line_no, sum(g.quantity) as quantity_received"
                " from public.goods_receipt_lines g"
                " join public.purchase_order_lines l on l.id = g.purchase_order_line_id"
                " join public.purchase_orders p on p.id = l.purchase_order_id"
                " where g.client_id = :c and (cast(:nums as text[]) is null"
                " or p.po_number = any(cast(:nums as text[])))"
                " group by p.po_number, l.line_no order by p.po_number, l.line_no"
            ),
            params,
        )
    )
    return {"po_lines": po_lines, "receipts": receipts}


def client_has_receipts(s: Session, client_id: UUID) -> bool:
    """Whether the client records goods receipts at all (then every PO match is 3-way)."""
    return bool(
        s.execute(
            text("select exists (select 1 from public.goods_receipts where client_id = :c)"),
            {"c": client_id},
        ).scalar()
    )


_BILLED_WHERE = (
    " where i.client_id = :c and i.purchase_order_id = :p and i.id <> :x"
    " and i.status = any(cast(:st as text[]))"
)
_BILLED_LINES = (
    "select po.po_number, l.invoice_id, l.line_no, l.product_code, l.description, l.quantity"  # noqa: S608
    " from public.invoice_lines l join public.invoices i on i.id = l.invoice_id"
    " join public.purchase_orders po on po.id = i.purchase_order_id"
    f"{_BILLED_WHERE} order by i.created_at, l.invoice_id, l.line_no"
)
_BILLED_TOTAL = f"select coalesce(sum(i.total), 0) from public.invoices i{_BILLED_WHERE}"  # noqa: S608


def billed_against(
    s: Session,
    client_id: UUID,
    purchase_order_id: UUID,
    *,
    exclude_invoice_id: UUID,
    statuses: Sequence[str],
) -> dict[str, Any]:
    """What other invoices in ``statuses`` already billed against a PO: their lines (shaped as
    ``match_purchase_orders``' ``billed_lines``) and the sum of their totals (``invoiced``)."""
    params = {"c": client_id, "p": purchase_order_id, "x": exclude_invoice_id, "st": list(statuses)}
    lines = _rows(s.execute(text(_BILLED_LINES), params))
    invoiced = s.execute(text(_BILLED_TOTAL), params).scalar_one()
    return {"lines": lines, "invoiced": invoiced}
