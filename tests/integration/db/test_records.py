"""The records of ``core.db.records`` are the repositories' column lists: every field that is a
column of its table exists in the migrated database, and every select list they make runs."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from core.db import records
from core.db.records import columns, field_names

TABLES: dict[type[records.Record], str] = {
    records.Invoice: "invoices",
    records.InvoiceLine: "invoice_lines",
    records.Match: "matches",
    records.MatchException: "match_exceptions",
    records.AuditEvent: "audit_events",
    records.File: "files",
    records.Batch: "batches",
    records.Client: "clients",
    records.Member: "client_members",
    records.Vendor: "vendors",
    records.VendorAlias: "vendor_aliases",
    records.VendorHint: "vendor_extraction_hints",
    records.VendorTrust: "vendors",
    records.PurchaseOrder: "purchase_orders",
    records.MatchProfileVersion: "match_profiles",
}
JOINS = {
    records.Invoice: "public.invoices i left join public.files f on f.id = i.file_id"
    " left join public.vendors v on v.id = i.vendor_id",
    records.InvoiceLine: "public.invoice_lines l join public.invoices i on i.id = l.invoice_id",
    records.Match: "public.matches m join public.invoices i on i.id = m.invoice_id"
    " left join public.vendors v on v.id = m.vendor_id"
    " left join public.purchase_orders po on po.id = m.purchase_order_id"
    " left join public.invoices d on d.id = m.duplicate_of_invoice_id",
    records.MatchException: "public.match_exceptions x join public.invoices i"
    " on i.id = x.invoice_id left join public.purchase_orders po on po.id = x.purchase_order_id",
    records.AuditEvent: "public.audit_events a",
    records.File: "public.files f",
    records.Batch: "public.batches b",
    records.Client: "public.clients c left join public.client_members m on m.client_id = c.id",
    records.Member: "public.client_members m",
    records.Vendor: "public.vendors v",
    records.VendorAlias: "public.vendor_aliases a join public.vendors v on v.id = a.vendor_id",
    records.VendorHint: "public.vendor_extraction_hints h"
    " join public.vendors v on v.id = h.vendor_id",
    records.VendorTrust: "public.vendors v left join public.vendor_trust t"
    " on t.client_id = v.client_id and t.vendor_id = v.id",
    records.PurchaseOrder: "public.purchase_orders po"
    " left join public.vendors v on v.id = po.vendor_id",
    records.MatchProfileVersion: "public.match_profiles p",
}


@pytest.mark.parametrize("record", list(TABLES), ids=lambda r: r.__name__)
def test_every_stored_field_is_a_column_of_its_table(engine, record) -> None:
    existing = {c["name"] for c in inspect(engine).get_columns(TABLES[record], schema="public")}
    assert set(field_names(record, stored_only=True)) - existing == set()


@pytest.mark.parametrize("record", list(JOINS), ids=lambda r: r.__name__)
def test_the_select_list_of_every_record_runs(engine, record) -> None:
    with engine.connect() as conn:
        result = conn.execute(text(f"select {columns(record)} from {JOINS[record]} limit 0"))
        assert list(result.keys()) == [n for n in field_names(record) if n not in record._filled]


def test_the_correctable_fields_are_invoice_columns() -> None:
    assert set(records.CORRECTABLE_FIELDS) <= set(field_names(records.Invoice, stored_only=True))
