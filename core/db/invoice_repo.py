"""SQL for invoices, their lines, matches, batches, files and the audit log (workflow's data).

Every function takes the caller's ``Session`` (a ``user_session`` under RLS, or a named
``service_session``): visibility and write rights are the database's business, not ours. Rows come
back as plain dicts. An invoice changes only through ``run_action``, which calls the database's
doors (``public.invoice_transition`` / ``public.invoice_correct``); users cannot write lines,
matches or audit events directly, and ``core.workflow`` is the only caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

INVOICE_FIELDS = (
    "vendor_name", "vendor_vat_id", "vendor_iban", "customer_name", "customer_vat_id",
    "invoice_number", "po_number", "document_type", "invoice_date", "due_date", "currency",
    "subtotal", "tax", "total", "amount_due",
)  # fmt: skip
_INVOICE_SELECT = """
select i.id, i.client_id, i.file_id, i.batch_id, i.status, i.failure_reason,
       i.vendor_name, i.vendor_vat_id, i.vendor_iban, i.customer_name, i.customer_vat_id,
       i.invoice_number, i.po_number, i.document_type, i.invoice_date, i.due_date, i.currency,
       i.subtotal, i.tax, i.total, i.amount_due, i.extractor, i.extractor_version, i.model,
       i.prompt_version, i.confidence, i.vendor_id, i.purchase_order_id, i.match_band,
       i.match_score, i.reviewed_by, i.reviewed_at, i.created_by, i.version, i.created_at,
       i.updated_at, f.original_name as file_name, v.name as matched_vendor_name
from public.invoices i
left join public.files f on f.id = i.file_id
left join public.vendors v on v.id = i.vendor_id
"""


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings().all()]


DOORS = {
    "transition": "select public.invoice_transition(:i, :a, :v, :c, :m)",
    "correct": "select public.invoice_correct(:i, :a, :v, :c, :m)",
}


def run_action(
    s: Session,
    *,
    door: str,
    invoice_id: UUID,
    action: str,
    expected_version: int | None,
    changes: Mapping[str, Any],
    meta: Mapping[str, Any],
) -> int | None:
    """Run one invoice action through its door; the new version, or None if ``expected_version``
    is no longer the row's (nothing changed then)."""
    stmt = text(DOORS[door]).bindparams(bindparam("c", type_=JSONB), bindparam("m", type_=JSONB))
    params = {
        "i": invoice_id,
        "a": action,
        "v": expected_version,
        "c": _jsonable(changes),
        "m": _jsonable(meta),
    }
    value = s.execute(stmt, params).scalar()
    return None if value is None else int(value)


def _jsonable(value: Mapping[str, Any] | None) -> Any:
    return None if value is None else json.loads(json.dumps(dict(value), default=str))


def get_invoice(s: Session, invoice_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
    """One invoice visible to the session, with its file name and matched vendor name."""
    sql = _INVOICE_SELECT + " where i.id = :id"
    if for_update:
        sql += " for update of i"
    rows = _rows(s.execute(text(sql), {"id": invoice_id}))
    return rows[0] if rows else None


def invoice_ids_by_vendor(
    s: Session, pattern: str, client_id: UUID | None, *, limit: int
) -> list[UUID]:
    """Ids of the caller's invoices whose vendor name matches the ILIKE ``pattern`` (at most
    ``limit``), through the trigram index (``public.invoice_ids_by_vendor``)."""
    rows = s.execute(
        text(
            "select id from public.invoice_ids_by_vendor(:p, :c) with ordinality as t(id, n)"
            " order by n limit :lim"
        ),
        {"p": pattern, "c": client_id, "lim": limit},
    )
    return [r[0] for r in rows]  # newest first, as the function returns them


def insert_invoice(s: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    """Insert an invoice row; returns id, version and status."""
    keys = list(values)
    stmt = text(
        f"insert into public.invoices ({', '.join(keys)})"  # noqa: S608 - keys are column names
        f" values ({', '.join(':' + k for k in keys)})"
        " returning id, version, status, created_at"
    )
    return dict(s.execute(stmt, dict(values)).mappings().one())


def list_invoices(
    s: Session,
    *,
    where: Sequence[str],
    params: Mapping[str, Any],
    order_by: str,
    limit: int,
    offset: int,
    count_cap: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of invoices matching pre-built ``where`` clauses, and the total count.

    With ``count_cap`` the count stops after ``count_cap + 1`` rows (a result above the cap means
    "more than the cap"): an exact count of 100k rows under RLS costs more than the page itself.
    """
    rows = invoice_page(
        s, where=where, params=params, order_by=order_by, limit=limit, offset=offset
    )
    clause = (" where " + " and ".join(where)) if where else ""
    if count_cap is None:
        sql = f"select count(*) from public.invoices i{clause}"  # noqa: S608
        count = s.execute(text(sql), dict(params))
    else:
        sql = f"select count(*) from (select 1 from public.invoices i{clause} limit :_cap) c"  # noqa: S608
        count = s.execute(text(sql), {**params, "_cap": count_cap + 1})
    return rows, int(count.scalar_one())


def invoice_page(
    s: Session,
    *,
    where: Sequence[str],
    params: Mapping[str, Any],
    order_by: str,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """One page of invoices matching pre-built ``where`` clauses (no count)."""
    clause = (" where " + " and ".join(where)) if where else ""
    return _rows(
        s.execute(
            text(f"{_INVOICE_SELECT}{clause} order by {order_by} limit :_lim offset :_off"),
            {**params, "_lim": limit, "_off": offset},
        )
    )


def invoice_lines(s: Session, invoice_ids: Iterable[UUID]) -> list[dict[str, Any]]:
    """Lines of the given invoices, in invoice and line order."""
    ids = list(invoice_ids)
    if not ids:
        return []
    return _rows(
        s.execute(
            text(
                "select l.*, i.invoice_number from public.invoice_lines l"
                " join public.invoices i on i.id = l.invoice_id"
                " where l.invoice_id = any(:ids) order by l.invoice_id, l.line_no"
            ),
            {"ids": ids},
        )
    )


def matches_for(s: Session, invoice_ids: Iterable[UUID]) -> list[dict[str, Any]]:
    """Match rows of the given invoices, with the target's display name."""
    ids = list(invoice_ids)
    if not ids:
        return []
    return _rows(
        s.execute(
            text(
                "select m.*, i.invoice_number,"
                " coalesce(v.name, po.po_number, d.invoice_number) as target_name"
                " from public.matches m join public.invoices i on i.id = m.invoice_id"
                " left join public.vendors v on v.id = m.vendor_id"
                " left join public.purchase_orders po on po.id = m.purchase_order_id"
                " left join public.invoices d on d.id = m.duplicate_of_invoice_id"
                " where m.invoice_id = any(:ids) order by m.invoice_id,"
                " array_position(array['vendor', 'purchase_order', 'duplicate'], m.kind),"
                " m.created_at"
            ),
            {"ids": ids},
        )
    )


def get_match(s: Session, match_id: UUID) -> dict[str, Any] | None:
    """One match row visible to the session."""
    rows = _rows(s.execute(text("select * from public.matches where id = :id"), {"id": match_id}))
    return rows[0] if rows else None


def audit_for_invoice(
    s: Session, invoice_id: UUID, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Audit events of one invoice, oldest first."""
    return _rows(
        s.execute(
            text(
                "select id, client_id, invoice_id, actor_id, action, before, after, meta,"
                " created_at"
                " from public.audit_events where invoice_id = :i order by created_at, id"
                " limit :lim offset :off"
            ),
            {"i": invoice_id, "lim": limit, "off": offset},
        )
    )


def find_duplicates(
    s: Session,
    *,
    client_id: UUID,
    invoice_id: UUID,
    invoice_number: str | None,
    vendor_name: str | None,
    total: Any,
) -> list[dict[str, Any]]:
    """Other live invoices of the client with the same number, vendor and total."""
    if not invoice_number:
        return []
    return _rows(
        s.execute(
            text(
                "select id, invoice_number, vendor_name, total, status from public.invoices"
                " where client_id = :c and id <> :i and status <> 'failed'"
                " and regexp_replace(lower(invoice_number), '[^a-z0-9]', '', 'g')"
                "   = regexp_replace(lower(cast(:n as text)), '[^a-z0-9]', '', 'g')"
                " and (cast(:v as text) is null or vendor_name is null"
                "   or lower(vendor_name) = lower(cast(:v as text)))"
                " and (cast(:t as numeric) is null or total = cast(:t as numeric))"
                " order by created_at limit 5"
            ),
            {"c": client_id, "i": invoice_id, "n": invoice_number, "v": vendor_name, "t": total},
        )
    )


def file_sha_duplicates(s: Session, *, client_id: UUID, invoice_id: UUID) -> list[dict[str, Any]]:
    """Invoices of the client made from the same bytes (the upload refuses these already)."""
    return _rows(
        s.execute(
            text(
                "select o.id from public.invoices i join public.files f on f.id = i.file_id"
                " join public.files g on g.client_id = f.client_id and g.sha256 = f.sha256"
                " join public.invoices o on o.file_id = g.id"
                " where i.id = :i and o.id <> i.id and i.client_id = :c"
            ),
            {"c": client_id, "i": invoice_id},
        )
    )


def active_profile(s: Session, client_id: UUID) -> dict[str, Any] | None:
    """The client's active match profile row."""
    rows = _rows(
        s.execute(
            text(
                "select id, client_id, version, name, profile, is_active, notes, created_by,"
                " created_at from public.match_profiles where client_id = :c and is_active"
            ),
            {"c": client_id},
        )
    )
    return rows[0] if rows else None


def delete_invoice(s: Session, invoice_id: UUID) -> None:
    """Delete an invoice (lines and matches cascade)."""
    s.execute(text("delete from public.invoices where id = :id"), {"id": invoice_id})


def count_in_flight(s: Session, client_id: UUID) -> int:
    """Invoices of the client still waiting for or in processing."""
    return int(
        s.execute(
            text(
                "select count(*) from public.invoices where client_id = :c"
                " and status in ('received', 'extracting')"
            ),
            {"c": client_id},
        ).scalar_one()
    )
