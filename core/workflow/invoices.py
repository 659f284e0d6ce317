"""Reading invoices (list with filters, detail, lines, matches, audit), deleting and exporting."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from core.auth.models import CurrentUser
from core.db import invoice_repo, tenant_repo
from core.db.session import user_session
from core.errors import ValidationFailed
from core.workflow import bills_export, exports
from core.workflow.access import WRITERS, require_role
from core.workflow.states import EXPORTABLE, InvoiceStatus
from core.workflow.states import InvoiceStatus as S
from core.workflow.transitions import apply_change, load_invoice

MAX_PAGE = 200
COUNT_CAP = 10_000  # list counts stop here; above it the API says "more than 10,000"
MAX_EXPORT = 50_000
SORTS = {
    "-created_at": "i.created_at desc, i.id desc",
    "created_at": "i.created_at asc, i.id asc",
    "-invoice_date": "i.invoice_date desc nulls last, i.id desc",
    "invoice_date": "i.invoice_date asc nulls last, i.id asc",
    "-total": "i.total desc nulls last, i.id desc",
    "total": "i.total asc nulls last, i.id asc",
}


@dataclass(frozen=True)
class InvoiceFilter:
    """List filters; every one optional. ``vendor`` matches the name (substring) or vendor id."""

    client_id: uuid.UUID | None = None
    status: tuple[InvoiceStatus, ...] = ()
    vendor: str | None = None
    vendor_id: uuid.UUID | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    match_band: str | None = None
    batch_id: uuid.UUID | None = None
    search: str | None = None


def _where(f: InvoiceFilter) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if f.client_id:
        where.append("i.client_id = :client_id")
        params["client_id"] = f.client_id
    if f.status:
        where.append("i.status = any(:statuses)")
        params["statuses"] = [s.value for s in f.status]
    if f.vendor_id:
        where.append("i.vendor_id = :vendor_id")
        params["vendor_id"] = f.vendor_id
    if f.vendor:
        # Through the trigram index: a plain ILIKE is not leakproof, so under RLS it would be
        # checked row by row after the policy (see 20261126121000_vendor_search_under_rls.sql).
        # ``_resolve_vendor`` may swap this for the ids themselves (one search for page + count).
        where.append(VENDOR_SUBQUERY)
        params["vendor"] = "%" + f.vendor.replace("%", r"\%").replace("_", r"\_") + "%"
        params["vendor_client"] = f.client_id
    if f.date_from:
        where.append("i.invoice_date >= :date_from")
        params["date_from"] = f.date_from
    if f.date_to:
        where.append("i.invoice_date <= :date_to")
        params["date_to"] = f.date_to
    if f.amount_min is not None:
        where.append("i.total >= :amount_min")
        params["amount_min"] = f.amount_min
    if f.amount_max is not None:
        where.append("i.total <= :amount_max")
        params["amount_max"] = f.amount_max
    if f.match_band:
        if f.match_band not in ("auto", "review", "reject"):
            raise ValidationFailed("match_band must be auto, review or reject")
        where.append("i.match_band = :match_band")
        params["match_band"] = f.match_band
    if f.batch_id:
        where.append("i.batch_id = :batch_id")
        params["batch_id"] = f.batch_id
    if f.search:
        where.append("(i.invoice_number ilike :q or i.vendor_name ilike :q)")
        params["q"] = "%" + f.search.replace("%", r"\%").replace("_", r"\_") + "%"
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValidationFailed("date_from is after date_to")
    if f.amount_min is not None and f.amount_max is not None and f.amount_min > f.amount_max:
        raise ValidationFailed("amount_min is above amount_max")
    return where, params


VENDOR_SUBQUERY = "i.id in (select public.invoice_ids_by_vendor(:vendor, :vendor_client))"
VENDOR_IDS_INLINE = 20_000  # up to this many matches the ids are searched once and passed


def _only_vendor(f: InvoiceFilter) -> bool:
    """True when the vendor is the only filter besides the client."""
    return bool(f.vendor) and replace(f, client_id=None, vendor=None) == InvoiceFilter()


def _resolve_vendor(s: Any, where: list[str], params: dict[str, Any]) -> None:
    """Search the vendor once for both the page and the count, when the matches are few."""
    if VENDOR_SUBQUERY not in where:
        return
    ids = invoice_repo.invoice_ids_by_vendor(
        s, params["vendor"], params["vendor_client"], limit=VENDOR_IDS_INLINE + 1
    )
    if len(ids) <= VENDOR_IDS_INLINE:
        where[where.index(VENDOR_SUBQUERY)] = "i.id = any(:vendor_ids)"
        params["vendor_ids"] = ids


def _scope(s: Any, filters: InvoiceFilter, where: list[str], params: dict[str, Any]) -> None:
    """Limit ``where`` to the caller's clients and resolve the vendor search (see below)."""
    _scope_clients(s, filters, where, params)
    _resolve_vendor(s, where, params)


def _scope_clients(
    s: Any, filters: InvoiceFilter, where: list[str], params: dict[str, Any]
) -> None:
    if filters.client_id:
        require_role(s, filters.client_id)
        return
    # RLS alone would hide other clients' rows, but only after scanning them: naming the user's
    # clients lets the (client_id, created_at) index do the work.
    ids = [c["id"] for c in tenant_repo.list_clients(s)]
    if len(ids) == 1:
        # Equality, not ``= any(array)``: only then does the planner read the (client_id,
        # created_at desc, id desc) index in order instead of sorting every matching row.
        where.append("i.client_id = :member_client")
        params["member_client"] = ids[0]
        return
    where.append("i.client_id = any(:member_clients)")
    params["member_clients"] = ids


def list_invoices(
    *,
    services: Any,
    user: CurrentUser,
    filters: InvoiceFilter,
    limit: int = 50,
    offset: int = 0,
    sort: str = "-created_at",
    count_cap: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the invoices the user may see, newest first by default, and the total.

    With ``count_cap`` the total stops counting past the cap (see ``invoice_repo``).
    """
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationFailed(f"limit must be 1-{MAX_PAGE} and offset >= 0")
    where, params = _where(filters)
    with user_session(services.engine, user.claims) as s:
        _scope(s, filters, where, params)
        if sort == "-created_at" and "vendor_ids" in params and _only_vendor(filters):
            # Only the vendor narrows the list: the matches are known, newest first, so the
            # page is a slice of them and the count their number.
            ids: list[uuid.UUID] = params["vendor_ids"]
            page = invoice_repo.invoice_page(
                s,
                where=["i.id = any(:page_ids)"],
                params={"page_ids": ids[offset : offset + limit]},
                order_by=SORTS[sort],
                limit=limit,
                offset=0,
            )
            return page, len(ids)
        return invoice_repo.list_invoices(
            s,
            where=where,
            params=params,
            order_by=SORTS[sort],
            limit=limit,
            offset=offset,
            count_cap=count_cap,
        )


@dataclass(frozen=True)
class InvoicePage:
    """A page of invoices and how many match; ``count_is_estimate`` when above ``COUNT_CAP``."""

    rows: list[dict[str, Any]]
    count: int
    count_is_estimate: bool


def list_invoices_page(
    *,
    services: Any,
    user: CurrentUser,
    filters: InvoiceFilter,
    limit: int = 50,
    offset: int = 0,
    sort: str = "-created_at",
) -> InvoicePage:
    """Like ``list_invoices`` but the count is capped at ``COUNT_CAP`` (a lower bound above it)."""
    rows, count = list_invoices(
        services=services,
        user=user,
        filters=filters,
        limit=limit,
        offset=offset,
        sort=sort,
        count_cap=COUNT_CAP,
    )
    if count > COUNT_CAP:
        return InvoicePage(rows, COUNT_CAP, True)
    return InvoicePage(rows, count, False)


def get_invoice(*, services: Any, user: CurrentUser, invoice_id: uuid.UUID) -> dict[str, Any]:
    """One invoice with its lines and matches."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        invoice["lines"] = invoice_repo.invoice_lines(s, [invoice_id])
        invoice["matches"] = invoice_repo.matches_for(s, [invoice_id])
        return invoice


def list_lines(*, services: Any, user: CurrentUser, invoice_id: uuid.UUID) -> list[dict[str, Any]]:
    """Line items of one invoice."""
    with user_session(services.engine, user.claims) as s:
        load_invoice(s, invoice_id, for_update=False)
        return invoice_repo.invoice_lines(s, [invoice_id])


def list_matches(
    *, services: Any, user: CurrentUser, invoice_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Match proposals of one invoice with candidates and reasons."""
    with user_session(services.engine, user.claims) as s:
        load_invoice(s, invoice_id, for_update=False)
        return invoice_repo.matches_for(s, [invoice_id])


def audit_log(
    *, services: Any, user: CurrentUser, invoice_id: uuid.UUID, limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    """The invoice's audit trail, oldest first."""
    with user_session(services.engine, user.claims) as s:
        load_invoice(s, invoice_id, for_update=False)
        return invoice_repo.audit_for_invoice(s, invoice_id, limit=limit, offset=offset)


def delete_invoice(*, services: Any, user: CurrentUser, invoice_id: uuid.UUID) -> None:
    """Delete an invoice and its stored file (a database trigger audits the deletion)."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id)
        require_role(s, invoice["client_id"], WRITERS)
        file_row = tenant_repo.get_file(s, invoice["file_id"]) if invoice["file_id"] else None
        invoice_repo.delete_invoice(s, invoice_id)
        if file_row is not None:
            tenant_repo.delete_file(s, file_row["id"])
    if file_row is not None:
        services.storage.delete(file_row["object_key"], user)


def original_file(
    *, services: Any, user: CurrentUser, invoice_id: uuid.UUID
) -> tuple[bytes, str, str]:
    """The original bytes, content type and name of an invoice's file."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        file_row = tenant_repo.get_file(s, invoice["file_id"]) if invoice["file_id"] else None
    if file_row is None:
        from core.errors import NotFound

        raise NotFound("the invoice has no stored file")
    data = services.storage.get(file_row["object_key"], user)
    return data, file_row["content_type"], file_row["original_name"]


def original_file_url(*, services: Any, user: CurrentUser, invoice_id: uuid.UUID) -> str:
    """A short-lived signed URL for the original file."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        file_row = tenant_repo.get_file(s, invoice["file_id"]) if invoice["file_id"] else None
    if file_row is None:
        from core.errors import NotFound

        raise NotFound("the invoice has no stored file")
    url: str = services.storage.signed_url(file_row["object_key"], user)
    return url


def export_invoices(
    *,
    services: Any,
    user: CurrentUser,
    filters: InvoiceFilter,
    fmt: exports.ExportFormat,
    sheet: str = "invoices",
    mark_exported: bool = True,
    bills: bills_export.BillsOptions | None = None,
) -> bytes:
    """Render matching invoices (approved/exported by default); writers mark approved exported.

    ``bills`` are the options of the ``xero_bills`` format (account code, tax rate, date order).
    """
    if fmt not in exports.MEDIA_TYPES:
        raise ValidationFailed("format must be csv, xlsx, json or xero_bills")
    if sheet not in exports.SHEETS:
        raise ValidationFailed("sheet must be invoices, lines or matches")
    if not filters.status:
        filters = InvoiceFilter(**{**filters.__dict__, "status": tuple(EXPORTABLE)})
    where, params = _where(filters)
    with user_session(services.engine, user.claims) as s:
        _scope(s, filters, where, params)
        rows, count = invoice_repo.list_invoices(
            s, where=where, params=params, order_by=SORTS["created_at"], limit=MAX_EXPORT, offset=0
        )
        if count > MAX_EXPORT:
            raise ValidationFailed(f"narrow the filter: at most {MAX_EXPORT} invoices per export")
        ids = [r["id"] for r in rows]
        bundle = exports.ExportBundle(
            invoices=[
                {**r, "approved_at": r.get("reviewed_at"), "approved_by": r.get("reviewed_by")}
                for r in rows
            ],
            lines=[
                {**line, "position": line["line_no"]} for line in invoice_repo.invoice_lines(s, ids)
            ],
            matches=[
                {
                    **m,
                    "decision": m["status"],
                    "score": float(m["score"]) if m["score"] is not None else None,
                }
                for m in invoice_repo.matches_for(s, ids)
            ],
        )
        if fmt == "xero_bills":
            data = bills_export.to_xero_bills(bundle.invoices, bundle.lines, bills)
        else:
            data = exports.render(bundle, fmt, sheet=sheet)
        roles: dict[Any, str] = {}
        for row in rows if mark_exported else []:
            if row["status"] == S.approved.value:
                if row["client_id"] not in roles:
                    roles[row["client_id"]] = require_role(s, row["client_id"])
                if roles[row["client_id"]] not in WRITERS:
                    continue  # readers may download, only writers move the status on
                invoice = load_invoice(s, row["id"])
                apply_change(s, invoice, action="status.exported", meta={"format": fmt})
    return data
