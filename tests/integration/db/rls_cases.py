"""Data and per-table statements for the RLS matrix (tests/integration/db/test_rls_matrix.py).

Each table gets one SELECT/INSERT/UPDATE/DELETE aimed at the rows of one target client, and the
set of member roles that may write it. Statements take ``:client`` (target client id) and the
target client's object ids (``:invoice``, ``:vendor``...) as parameters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, text

WRITERS = frozenset({"owner", "operator"})
ALL_MEMBERS = frozenset({"owner", "operator", "analyst", "viewer"})


@dataclass(frozen=True)
class TableCase:
    """How to read, insert, update and delete one client's rows of a table."""

    table: str
    select: str
    insert: str
    update: str
    delete: str
    insert_roles: frozenset[str] = WRITERS
    update_roles: frozenset[str] = WRITERS
    delete_roles: frozenset[str] = WRITERS
    # clients: any signed-in user may create one (not tied to the target client)
    insert_by_anyone_signed_in: bool = False


def _ops(table: str, set_clause: str, where: str = "client_id = :client") -> dict[str, str]:
    return {
        "select": f"select count(*) from {table} where {where}",
        "update": f"update {table} set {set_clause} where {where}",
        "delete": f"delete from {table} where {where}",
    }


CASES: list[TableCase] = [
    TableCase(
        "public.clients",
        **_ops("public.clients", "name = name || ''", "id = :client"),
        insert="insert into public.clients (name) values ('new client')",
        insert_by_anyone_signed_in=True,
        update_roles=frozenset({"owner"}),
        delete_roles=frozenset({"owner"}),
    ),
    TableCase(
        "public.client_members",
        **_ops(
            "public.client_members", "role = 'owner'", "client_id = :client and user_id = :viewer"
        ),
        insert="insert into public.client_members (client_id, user_id, role)"
        " values (:client, :stranger, 'viewer')",
        insert_roles=frozenset({"owner"}),
        update_roles=frozenset({"owner"}),
        delete_roles=frozenset({"owner"}),
    ),
    TableCase(
        "public.batches",
        **_ops("public.batches", "name = 'renamed'"),
        insert="insert into public.batches (client_id, name) values (:client, 'b')",
    ),
    TableCase(
        "public.files",
        **_ops("public.files", "original_name = 'renamed.pdf'"),
        insert="insert into public.files (client_id, object_key, original_name, content_type,"
        " size_bytes, sha256) values (:client, :client || '/x/' || :rand, 'x.pdf',"
        " 'application/pdf', 1, encode(sha256(convert_to(:rand, 'UTF8')), 'hex'))",
    ),
    TableCase(
        "public.vendors",
        **_ops("public.vendors", "name = 'Renamed Ltd'"),
        insert="insert into public.vendors (client_id, name) values (:client, 'New Vendor')",
    ),
    TableCase(
        "public.purchase_orders",
        **_ops("public.purchase_orders", "status = 'closed'"),
        insert="insert into public.purchase_orders (client_id, vendor_id, po_number)"
        " values (:client, :vendor, 'PO-' || :rand)",
    ),
    TableCase(
        "public.purchase_order_lines",
        **_ops("public.purchase_order_lines", "description = 'changed'"),
        insert="insert into public.purchase_order_lines (client_id, purchase_order_id, line_no)"
        " values (:client, :po, 99)",
    ),
    TableCase(
        "public.goods_receipts",
        **_ops("public.goods_receipts", "received_on = current_date"),
        insert="insert into public.goods_receipts (client_id, purchase_order_id, receipt_number)"
        " values (:client, :po, 'GR-' || :rand)",
    ),
    TableCase(
        "public.goods_receipt_lines",
        **_ops("public.goods_receipt_lines", "quantity = quantity + 1"),
        insert="insert into public.goods_receipt_lines (client_id, goods_receipt_id, line_no,"
        " quantity) values (:client, :gr, 99, 1)",
    ),
    TableCase(
        "public.invoices",
        **_ops("public.invoices", "failure_reason = 'touched'"),
        insert="insert into public.invoices (client_id, file_id) values (:client, :file)",
    ),
    TableCase(
        "public.invoice_lines",
        **_ops("public.invoice_lines", "description = 'changed'"),
        insert="insert into public.invoice_lines (client_id, invoice_id, line_no)"
        " values (:client, :invoice, 99)",
    ),
    TableCase(
        "public.matches",
        **_ops("public.matches", "reason = 'changed'"),
        insert="insert into public.matches (client_id, invoice_id, kind, vendor_id, band)"
        " values (:client, :invoice, 'vendor', :vendor, 'review')",
    ),
    TableCase(
        "public.match_profiles",
        **_ops("public.match_profiles", "name = 'renamed'"),
        insert="insert into public.match_profiles (client_id, version, name, profile)"
        " values (:client, 99, 'p', '{}')",
        insert_roles=frozenset({"owner", "analyst"}),
        update_roles=frozenset({"owner", "analyst"}),
        delete_roles=frozenset({"owner", "analyst"}),
    ),
    TableCase(
        "public.extraction_cache",
        **_ops("public.extraction_cache", "model = 'changed'"),
        insert="insert into public.extraction_cache (client_id, cache_key, sha256,"
        " extractor_version, result) values (:client, :rand, repeat('b', 64), 'v1', '{}')",
    ),
    TableCase(
        "public.audit_events",
        **_ops("public.audit_events", "action = 'forged'"),
        insert="insert into public.audit_events (client_id, action) values (:client, 'test')",
        insert_roles=frozenset({"owner", "operator", "analyst"}),
        update_roles=frozenset(),
        delete_roles=frozenset(),
    ),
    TableCase(
        "storage.objects",
        **_ops(
            "storage.objects",
            "metadata = '{\"touched\": true}'",
            "bucket_id = 'invoices' and name like :client || '/%'",
        ),
        insert="insert into storage.objects (bucket_id, name, owner)"
        " values ('invoices', :client || '/2026/11/26/' || :rand || '.pdf', auth.uid())",
    ),
]


def seed_client_rows(conn: Connection, client_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """One row in every client-owned table (as the table owner); returns their ids."""
    ids: dict[str, uuid.UUID] = {}

    def add(key: str, sql: str, **params: object) -> None:
        ids[key] = conn.execute(
            text(sql + " returning id"), {"c": client_id, **params}
        ).scalar_one()

    add("batch", "insert into public.batches (client_id, name) values (:c, 'seed')")
    add(
        "file",
        "insert into public.files (client_id, object_key, original_name, content_type, size_bytes,"
        " sha256) values (:c, :c || '/2026/11/26/seed.pdf', 'seed.pdf', 'application/pdf', 3,"
        " encode(sha256(convert_to(cast(:c as text), 'UTF8')), 'hex'))",
    )
    add("vendor", "insert into public.vendors (client_id, name) values (:c, 'Seed Vendor')")
    add(
        "po",
        "insert into public.purchase_orders (client_id, vendor_id, po_number)"
        " values (:c, :v, 'PO-1')",
        v=ids["vendor"],
    )
    add(
        "po_line",
        "insert into public.purchase_order_lines (client_id, purchase_order_id, line_no)"
        " values (:c, :p, 1)",
        p=ids["po"],
    )
    add(
        "gr",
        "insert into public.goods_receipts (client_id, purchase_order_id, receipt_number)"
        " values (:c, :p, 'GR-1')",
        p=ids["po"],
    )
    add(
        "gr_line",
        "insert into public.goods_receipt_lines (client_id, goods_receipt_id,"
        " purchase_order_line_id, line_no, quantity) values (:c, :g, :l, 1, 2)",
        g=ids["gr"],
        l=ids["po_line"],
    )
    add(
        "invoice",
        "insert into public.invoices (client_id, file_id, batch_id, vendor_id, purchase_order_id)"
        " values (:c, :f, :b, :v, :p)",
        f=ids["file"],
        b=ids["batch"],
        v=ids["vendor"],
        p=ids["po"],
    )
    add(
        "invoice_line",
        "insert into public.invoice_lines (client_id, invoice_id, line_no) values (:c, :i, 1)",
        i=ids["invoice"],
    )
    add(
        "match",
        "insert into public.matches (client_id, invoice_id, kind, vendor_id, band)"
        " values (:c, :i, 'vendor', :v, 'auto')",
        i=ids["invoice"],
        v=ids["vendor"],
    )
    add(
        "profile",
        "insert into public.match_profiles (client_id, version, name, profile, is_active)"
        " values (:c, 1, 'default', '{}', true)",
    )
    add(
        "cache",
        "insert into public.extraction_cache (client_id, cache_key, sha256, extractor_version,"
        " result) values (:c, 'k1', repeat('a', 64), 'v1', '{}')",
    )
    conn.execute(
        text("insert into public.audit_events (client_id, action) values (:c, 'seeded')"),
        {"c": client_id},
    )
    add(
        "object",
        "insert into storage.objects (bucket_id, name)"
        " values ('invoices', :c || '/2026/11/26/seed.pdf')",
    )
    return ids
