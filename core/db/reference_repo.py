"""SQL for the reference data the matcher uses: vendors, purchase orders (+lines), receipts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from core.db.records import PurchaseOrder, Vendor, VendorAlias, columns


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings().all()]


def record_import(
    s: Session,
    *,
    client_id: UUID,
    kind: str,
    created: int,
    updated: int,
    meta: Mapping[str, Any],
) -> None:
    """The import's summary audit event (``public.record_reference_import``: users cannot insert
    audit events; vendors' bank details are audited row by row by a trigger)."""
    s.execute(
        text("select public.record_reference_import(:c, :k, :n, :u, :m)").bindparams(
            bindparam("m", type_=JSONB)
        ),
        {"c": client_id, "k": kind, "n": created, "u": updated, "m": dict(meta)},
    )


def upsert_vendor(s: Session, *, client_id: UUID, row: Mapping[str, Any]) -> tuple[UUID, bool]:
    """Insert or update a vendor by code (else by name); returns (id, created)."""
    params = {
        "c": client_id,
        "code": row.get("vendor_code"),
        "name": row["name"],
        "vat": row.get("vat_id"),
        "iban": row.get("iban"),
        "addr": row.get("address"),
        "country": row.get("country"),
        "email": row.get("email"),
    }
    if params["code"]:
        found = s.execute(
            text("select id from public.vendors where client_id = :c and external_id = :code"),
            params,
        ).first()
    else:
        found = s.execute(
            text(
                "select id from public.vendors where client_id = :c and external_id is null"
                " and lower(name) = lower(:name) order by created_at limit 1"
            ),
            params,
        ).first()
    if found is not None:
        s.execute(
            text(
                "update public.vendors set name = :name, vat_id = :vat, iban = :iban,"
                " address = :addr, country = :country, email = :email where id = :id"
            ),
            {**params, "id": found[0]},
        )
        return found[0], False
    new_id = s.execute(
        text(
            "insert into public.vendors (client_id, external_id, name, vat_id, iban, address,"
            " country, email) values (:c, :code, :name, :vat, :iban, :addr, :country, :email)"
            " returning id"
        ),
        params,
    ).scalar_one()
    return new_id, True


def vendor_ids_by_reference(s: Session, client_id: UUID) -> dict[str, UUID]:
    """Lower-cased vendor code and name -> vendor id (codes win over names)."""
    out: dict[str, UUID] = {}
    rows = s.execute(
        text("select id, external_id, name from public.vendors where client_id = :c"),
        {"c": client_id},
    ).all()
    for vid, _, name in rows:
        out.setdefault(str(name).lower(), vid)
    for vid, code, _ in rows:
        if code:
            out[str(code).lower()] = vid
    return out


@dataclass
class LinesSync:
    """What syncing a parent's lines changed: line numbers removed, receipt links lost."""

    removed_line_nos: list[int] = field(default_factory=list)
    unlinked_receipt_lines: int = 0


def upsert_purchase_order(
    s: Session, *, client_id: UUID, header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]
) -> tuple[UUID, bool, LinesSync]:
    """Insert or update a PO by number and sync its lines by line_no; returns (id, created, sync).

    Lines keep their ids across re-imports, so goods-receipt lines stay linked to them; only
    lines missing from ``lines`` are deleted (their receipt links are lost and counted).
    """
    row = s.execute(
        text(
            "insert into public.purchase_orders (client_id, vendor_id, po_number, order_date,"
            " currency, total) values (:c, :vendor_id, :po_number, :order_date,"
            " coalesce(:currency, 'EUR'), :total)"
            " on conflict (client_id, po_number) do update set vendor_id = excluded.vendor_id,"
            " order_date = excluded.order_date, currency = excluded.currency,"
            " total = excluded.total returning id, (xmax = 0) as created"
        ),
        {"c": client_id, **dict(header)},
    ).one()
    po_id, created = row[0], bool(row[1])
    keep = [int(line["line_no"]) for line in lines]
    # Count before deleting: the FK nulls purchase_order_line_id as part of the delete.
    unlinked = s.execute(
        text(
            "select count(*) from public.goods_receipt_lines g"
            " join public.purchase_order_lines l on l.id = g.purchase_order_line_id"
            " where l.purchase_order_id = :p and l.line_no <> all(cast(:keep as integer[]))"
        ),
        {"p": po_id, "keep": keep},
    ).scalar_one()
    removed = sync_lines(
        s,
        table="purchase_order_lines",
        parent_column="purchase_order_id",
        parent_id=po_id,
        client_id=client_id,
        columns=("line_no", "description", "product_code", "quantity", "unit_price", "amount"),
        lines=lines,
    )
    return po_id, created, LinesSync(removed_line_nos=removed, unlinked_receipt_lines=unlinked)


def sync_lines(
    s: Session,
    *,
    table: str,
    parent_column: str,
    parent_id: UUID,
    client_id: UUID,
    columns: Sequence[str],
    lines: Sequence[Mapping[str, Any]],
) -> list[int]:
    """Make a parent's lines equal ``lines`` keyed by line_no; returns the removed line numbers.

    Changed lines are updated in place and unchanged ones not touched, so line ids (and rows
    that reference them) survive a re-import. ``line_no`` must be unique within ``lines``.
    """
    # table/column names are constants of the repo modules, never user input.
    if lines:
        names = ", ".join(columns)
        values = ", ".join(f":{c}" for c in columns)
        data = [c for c in columns if c != "line_no"]
        sets = ", ".join(f"{c} = excluded.{c}" for c in data)
        old = ", ".join(f"{table}.{c}" for c in data)
        new = ", ".join(f"excluded.{c}" for c in data)
        s.execute(
            text(
                f"insert into public.{table} (client_id, {parent_column}, {names})"  # noqa: S608
                f" values (:c, :p, {values}) on conflict ({parent_column}, line_no)"
                f" do update set {sets} where ({old}) is distinct from ({new})"
            ),
            [{"c": client_id, "p": parent_id, **dict(line)} for line in lines],
        )
    removed = s.execute(
        text(
            f"delete from public.{table} where {parent_column} = :p"  # noqa: S608
            " and line_no <> all(cast(:keep as integer[])) returning line_no"
        ),
        {"p": parent_id, "keep": [int(line["line_no"]) for line in lines]},
    )
    return sorted(int(n) for n in removed.scalars())


def po_ids_by_number(s: Session, client_id: UUID) -> dict[str, UUID]:
    """PO number -> id for a client."""
    rows = s.execute(
        text("select po_number, id from public.purchase_orders where client_id = :c"),
        {"c": client_id},
    ).all()
    return {str(n): i for n, i in rows}


def po_line_ids(s: Session, po_id: UUID) -> dict[tuple[str, str], UUID]:
    """('line', '3') and ('code', 'SKU-1') -> PO line id."""
    out: dict[tuple[str, str], UUID] = {}
    for lid, no, code in s.execute(
        text(
            "select id, line_no, product_code from public.purchase_order_lines"
            " where purchase_order_id = :p order by line_no"
        ),
        {"p": po_id},
    ).all():
        out[("line", str(no))] = lid
        if code:
            out.setdefault(("code", str(code).lower()), lid)
    return out


def list_vendors(
    s: Session, client_id: UUID, *, limit: int, offset: int
) -> tuple[list[Vendor], int]:
    """A page of a client's vendors and their count."""
    rows = s.execute(
        text(
            f"select {columns(Vendor)} from public.vendors v"  # noqa: S608 - constant
            " where v.client_id = :c order by v.name, v.id limit :l offset :o"
        ),
        {"c": client_id, "l": limit, "o": offset},
    )
    count = s.execute(
        text("select count(*) from public.vendors where client_id = :c"), {"c": client_id}
    )
    return [Vendor.from_row(r) for r in rows.mappings()], int(count.scalar_one())


def list_purchase_orders(
    s: Session, client_id: UUID, *, limit: int, offset: int
) -> tuple[list[PurchaseOrder], int]:
    """A page of a client's purchase orders (with line counts) and their count."""
    rows = s.execute(
        text(
            f"select {columns(PurchaseOrder)} from public.purchase_orders po"  # noqa: S608
            " left join public.vendors v on v.id = po.vendor_id"
            " where po.client_id = :c order by po.po_number limit :l offset :o"
        ),
        {"c": client_id, "l": limit, "o": offset},
    )
    count = s.execute(
        text("select count(*) from public.purchase_orders where client_id = :c"), {"c": client_id}
    )
    return [PurchaseOrder.from_row(r) for r in rows.mappings()], int(count.scalar_one())


def vendor_frames(s: Session, client_id: UUID) -> dict[str, list[dict[str, Any]]]:
    """What the vendor matcher needs for one client (active vendors, the alias store)."""
    vendors = _rows(
        s.execute(
            text(
                "select id, external_id, name, aliases, vat_id, tax_id, iban, country, updated_at"
                " from public.vendors where client_id = :c and is_active"
            ),
            {"c": client_id},
        )
    )
    return {"vendors": vendors, "aliases": vendor_aliases(s, client_id)}


def reference_frames(s: Session, client_id: UUID) -> dict[str, list[dict[str, Any]]]:
    """Everything the matcher needs for one client, as plain rows (``vendor_frames`` and the
    purchase orders)."""
    pos = _rows(
        s.execute(
            text(
                "select id, vendor_id, po_number, status, order_date, currency, total"
                " from public.purchase_orders where client_id = :c"
            ),
            {"c": client_id},
        )
    )
    return {**vendor_frames(s, client_id), "purchase_orders": pos}


def add_vendor_alias(
    s: Session,
    *,
    client_id: UUID,
    vendor_id: UUID,
    kind: str,
    value: str,
    normalized: str,
    source: str,
    source_invoice_id: UUID | None = None,
) -> bool:
    """Record an alias in the alias store (as the session's user); False when it was there."""
    row = s.execute(
        text(
            "insert into public.vendor_aliases (client_id, vendor_id, kind, value, normalized,"
            " source, source_invoice_id) values (:c, :v, :k, :value, :n, :src, :inv)"
            " on conflict (client_id, vendor_id, kind, normalized) do nothing returning id"
        ),
        {
            "c": client_id,
            "v": vendor_id,
            "k": kind,
            "value": value,
            "n": normalized,
            "src": source,
            "inv": source_invoice_id,
        },
    ).first()
    return row is not None


def vendor_keys(s: Session, client_id: UUID, vendor_id: UUID) -> dict[str, Any] | None:
    """The master name, VAT id and IBAN of one vendor of the client (None when not visible)."""
    row = (
        s.execute(
            text(
                "select id, name, vat_id, iban from public.vendors where client_id = :c and id = :v"
            ),
            {"c": client_id, "v": vendor_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def list_vendor_aliases(
    s: Session, client_id: UUID, *, vendor_id: UUID | None = None
) -> list[VendorAlias]:
    """The client's alias store (optionally one vendor's), by vendor name then oldest first."""
    rows = s.execute(
        text(
            f"select {columns(VendorAlias)} from public.vendor_aliases a"  # noqa: S608 - constant
            " join public.vendors v on v.id = a.vendor_id"
            " where a.client_id = :c and (cast(:v as uuid) is null or a.vendor_id = :v)"
            " order by v.name, a.created_at, a.id"
        ),
        {"c": client_id, "v": vendor_id},
    )
    return [VendorAlias.from_row(r) for r in rows.mappings()]


def delete_vendor_alias(s: Session, client_id: UUID, alias_id: UUID) -> bool:
    """Remove one alias of the client (RLS: owners and operators); False when none was removed."""
    row = s.execute(
        text("delete from public.vendor_aliases where client_id = :c and id = :a returning id"),
        {"c": client_id, "a": alias_id},
    ).first()
    return row is not None


def vendor_aliases(s: Session, client_id: UUID) -> list[dict[str, Any]]:
    """The client's aliases of active vendors (the alias store), oldest first."""
    return _rows(
        s.execute(
            text(
                "select a.id, a.vendor_id, a.kind, a.value, a.normalized, a.source,"
                " a.created_by, a.learned_from, a.created_at from public.vendor_aliases a"
                " join public.vendors v on v.id = a.vendor_id and v.is_active"
                " where a.client_id = :c order by a.created_at, a.id"
            ),
            {"c": client_id},
        )
    )


def create_vendor_from_invoice(
    s: Session,
    *,
    invoice_id: UUID,
    expected_version: int,
    vendor: Mapping[str, Any],
    meta: Mapping[str, Any],
) -> tuple[UUID, int] | None:
    """``public.create_vendor_from_invoice``: the new vendor's id and the invoice's new version,
    or None when ``expected_version`` is no longer the invoice's (nothing was created)."""
    row = s.execute(
        text(
            "select vendor_id, version from public.create_vendor_from_invoice(:i, :v, :d, :m)"
        ).bindparams(bindparam("d", type_=JSONB), bindparam("m", type_=JSONB)),
        {"i": invoice_id, "v": expected_version, "d": dict(vendor), "m": dict(meta)},
    ).first()
    return None if row is None else (row[0], int(row[1]))


def get_vendor(s: Session, vendor_id: UUID) -> Vendor | None:
    """One vendor visible to the session."""
    row = (
        s.execute(
            text(f"select {columns(Vendor)} from public.vendors v where v.id = :id"),  # noqa: S608
            {"id": vendor_id},
        )
        .mappings()
        .first()
    )
    return None if row is None else Vendor.from_row(row)
