"""The invoice list's query: filters, the caller's clients, sort and paging, as SQL.

``core.workflow.invoices`` validates a filter and says whose clients to look in; everything that
is SQL (the where clauses, the trigram vendor search, the count cap, the fast path when only the
vendor narrows the list) is decided here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db import invoice_repo
from core.db.records import Invoice

# Sort key -> ORDER BY (every order ends on the id, so pages never overlap).
SORTS: dict[str, str] = {
    "-created_at": "i.created_at desc, i.id desc",
    "created_at": "i.created_at asc, i.id asc",
    "-invoice_date": "i.invoice_date desc nulls last, i.id desc",
    "invoice_date": "i.invoice_date asc nulls last, i.id asc",
    "-total": "i.total desc nulls last, i.id desc",
    "total": "i.total asc nulls last, i.id asc",
}
# Sorts that keyset (cursor) paging supports, and the row comparison that continues them.
KEYSET_SORTS: dict[str, str] = {"-created_at": "<", "created_at": ">"}
# Through the trigram index: a plain ILIKE is not leakproof, so under RLS it would be checked
# row by row after the policy (see 20261126121000_vendor_search_under_rls.sql).
VENDOR_SUBQUERY = "i.id in (select public.invoice_ids_by_vendor(:vendor, :vendor_client))"
VENDOR_IDS_INLINE = 20_000  # up to this many matches the ids are searched once and passed


@dataclass(frozen=True)
class InvoiceFilter:
    """List filters; every one optional. ``vendor`` matches the name (substring) or vendor id."""

    client_id: uuid.UUID | None = None
    status: tuple[str, ...] = ()
    vendor: str | None = None
    vendor_id: uuid.UUID | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    match_band: str | None = None
    batch_id: uuid.UUID | None = None
    search: str | None = None


def _like(value: str) -> str:
    return "%" + value.replace("%", r"\%").replace("_", r"\_") + "%"


def _where(
    f: InvoiceFilter, member_clients: Sequence[uuid.UUID]
) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if f.client_id:
        where.append("i.client_id = :client_id")
        params["client_id"] = f.client_id
    if f.status:
        where.append("i.status = any(:statuses)")
        params["statuses"] = [str(s) for s in f.status]
    if f.vendor_id:
        where.append("i.vendor_id = :vendor_id")
        params["vendor_id"] = f.vendor_id
    if f.vendor:
        where.append(VENDOR_SUBQUERY)
        params["vendor"] = _like(f.vendor)
        params["vendor_client"] = f.client_id
    for column, op, value in (
        ("invoice_date", ">=", f.date_from),
        ("invoice_date", "<=", f.date_to),
        ("total", ">=", f.amount_min),
        ("total", "<=", f.amount_max),
    ):
        if value is not None:
            name = f"p{len(params)}"
            where.append(f"i.{column} {op} :{name}")
            params[name] = value
    if f.match_band:
        where.append("i.match_band = :match_band")
        params["match_band"] = f.match_band
    if f.batch_id:
        where.append("i.batch_id = :batch_id")
        params["batch_id"] = f.batch_id
    if f.search:
        where.append("(i.invoice_number ilike :q or i.vendor_name ilike :q)")
        params["q"] = _like(f.search)
    if not f.client_id:
        # RLS alone would hide other clients' rows, but only after scanning them: naming the
        # user's clients lets the (client_id, created_at) index do the work. Equality for one
        # client: only then does the planner read that index in order instead of sorting.
        if len(member_clients) == 1:
            where.append("i.client_id = :member_client")
            params["member_client"] = member_clients[0]
        else:
            where.append("i.client_id = any(:member_clients)")
            params["member_clients"] = list(member_clients)
    return where, params


def _only_vendor(f: InvoiceFilter) -> bool:
    """True when the vendor is the only filter besides the client."""
    return bool(f.vendor) and replace(f, client_id=None, vendor=None) == InvoiceFilter()


def _resolve_vendor(s: Session, where: list[str], params: dict[str, Any]) -> None:
    """Search the vendor once for both the page and the count, when the matches are few."""
    if VENDOR_SUBQUERY not in where:
        return
    ids = invoice_repo.invoice_ids_by_vendor(
        s, params["vendor"], params["vendor_client"], limit=VENDOR_IDS_INLINE + 1
    )
    if len(ids) <= VENDOR_IDS_INLINE:
        where[where.index(VENDOR_SUBQUERY)] = "i.id = any(:vendor_ids)"
        params["vendor_ids"] = ids


def list_invoices(
    s: Session,
    filters: InvoiceFilter,
    *,
    member_clients: Sequence[uuid.UUID] = (),
    sort: str = "-created_at",
    limit: int,
    offset: int,
    count_cap: int | None = None,
    after: tuple[dt.datetime, uuid.UUID] | None = None,
) -> tuple[list[Invoice], int]:
    """A page of the invoices matching ``filters`` and their total count.

    ``after`` (keyset paging, ``created_at`` sorts only) starts the page after that
    (created_at, id); the count is of every match, as without it.

    Without ``filters.client_id`` the list is limited to ``member_clients`` (the caller's).
    With ``count_cap`` the count stops after ``count_cap + 1`` rows (a result above the cap means
    "more than the cap"): an exact count of 100k rows under RLS costs more than the page itself.
    """
    where, params = _where(filters, member_clients)
    _resolve_vendor(s, where, params)
    order_by = SORTS[sort]
    page_where = list(where)
    page_params = dict(params)
    if after is not None:
        if sort not in KEYSET_SORTS:
            raise ValueError(f"keyset paging needs a created_at sort, not {sort}")
        page_where.append(f"(i.created_at, i.id) {KEYSET_SORTS[sort]} (:_after_at, :_after_id)")
        page_params.update({"_after_at": after[0], "_after_id": after[1]})
    elif sort == "-created_at" and "vendor_ids" in params and _only_vendor(filters):
        # Only the vendor narrows the list: the matches are known, newest first, so the page is
        # a slice of them and the count their number.
        ids: list[uuid.UUID] = params["vendor_ids"]
        page = _page(
            s,
            ["i.id = any(:page_ids)"],
            {"page_ids": ids[offset : offset + limit]},
            order_by,
            limit,
            0,
        )
        return page, len(ids)
    rows = _page(s, page_where, page_params, order_by, limit, offset)
    clause = (" where " + " and ".join(where)) if where else ""
    if count_cap is None:
        sql = f"select count(*) from public.invoices i{clause}"  # noqa: S608
        count = s.execute(text(sql), params)
    else:
        sql = f"select count(*) from (select 1 from public.invoices i{clause} limit :_cap) c"  # noqa: S608
        count = s.execute(text(sql), {**params, "_cap": count_cap + 1})
    return rows, int(count.scalar_one())


def _page(
    s: Session,
    where: Sequence[str],
    params: dict[str, Any],
    order_by: str,
    limit: int,
    offset: int,
) -> list[Invoice]:
    clause = (" where " + " and ".join(where)) if where else ""
    rows = s.execute(
        text(f"{invoice_repo.INVOICE_SELECT}{clause} order by {order_by} limit :_lim offset :_off"),
        {**params, "_lim": limit, "_off": offset},
    )
    return [Invoice.from_row(r) for r in rows.mappings()]
