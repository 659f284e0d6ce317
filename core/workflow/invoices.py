"""Reading invoices (list with filters, detail, lines, matches, audit), deleting and exporting."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import approval_repo, invoice_query, invoice_repo, tenant_repo
from core.db.invoice_query import InvoiceFilter
from core.db.records import AuditEvent, Invoice, InvoiceDetail, InvoiceLine, Match, MatchException
from core.db.session import user_session
from core.errors import NotFound, ValidationFailed
from core.matching.exceptions import words as exception_words
from core.workflow import bills_export, exports
from core.workflow.access import WRITERS, require_role
from core.workflow.match_words import explain_match
from core.workflow.services import Services
from core.workflow.states import EXPORTABLE
from core.workflow.states import InvoiceStatus as S
from core.workflow.transitions import apply_change, load_invoice

__all__ = ["SORTS", "InvoiceFilter", "InvoicePage", "list_invoices", "list_invoices_page"]
MAX_PAGE = 200
COUNT_CAP = 10_000  # list counts stop here; above it the API says "more than 10,000"
MAX_EXPORT = 50_000
SORTS: tuple[str, ...] = tuple(invoice_query.SORTS)  # the sort keys the list accepts
MATCH_BANDS = ("auto", "review", "reject")


def _check(f: InvoiceFilter) -> None:
    """Refuse a filter no invoice can match because it contradicts itself."""
    if f.match_band and f.match_band not in MATCH_BANDS:
        raise ValidationFailed("match_band must be auto, review or reject")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValidationFailed("date_from is after date_to")
    if f.amount_min is not None and f.amount_max is not None and f.amount_min > f.amount_max:
        raise ValidationFailed("amount_min is above amount_max")


def _member_clients(s: Session, filters: InvoiceFilter) -> list[uuid.UUID]:
    """The clients to look in: the named one (the caller must belong to it) or all of theirs."""
    if filters.client_id:
        require_role(s, filters.client_id)
        return [filters.client_id]
    return [c.id for c in tenant_repo.list_clients(s)]


def list_invoices(
    *,
    services: Services,
    user: CurrentUser,
    filters: InvoiceFilter,
    limit: int = 50,
    offset: int = 0,
    sort: str = "-created_at",
    count_cap: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Invoice], int]:
    """A page of the invoices the user may see, newest first by default, and the total.

    With ``count_cap`` the total stops counting past the cap (see ``core.db.invoice_query``).
    ``cursor`` (from ``next_cursor``) continues a ``created_at`` sort after its last row.
    """
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationFailed(f"limit must be 1-{MAX_PAGE} and offset >= 0")
    after = decode_cursor(cursor, sort) if cursor else None
    if after is not None and offset:
        raise ValidationFailed("give either cursor or offset, not both", field="cursor")
    _check(filters)
    with user_session(services.engine, user.claims) as s:
        return invoice_query.list_invoices(
            s,
            filters,
            member_clients=_member_clients(s, filters),
            sort=sort,
            limit=limit,
            offset=offset,
            count_cap=count_cap,
            after=after,
        )


def encode_cursor(row: Invoice, sort: str) -> str:
    """The opaque cursor that continues ``sort`` after ``row``."""
    raw = json.dumps({"s": sort, "c": row.created_at.isoformat(), "i": str(row.id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[dt.datetime, uuid.UUID]:
    """(created_at, id) of a cursor made for ``sort``; ``ValidationFailed`` otherwise."""
    if sort not in invoice_query.KEYSET_SORTS:
        raise ValidationFailed(
            "cursor paging works with sort=-created_at or sort=created_at", field="cursor"
        )
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = dt.datetime.fromisoformat(data["c"])
        if data["s"] != sort or at.tzinfo is None:
            raise ValueError("another sort")
        return at, uuid.UUID(data["i"])
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "not a cursor of this list (take next_cursor of the previous page, same sort)",
            field="cursor",
        ) from exc


@dataclass(frozen=True)
class InvoicePage:
    """A page of invoices and how many match; ``count_is_estimate`` when above ``COUNT_CAP``;
    ``next_cursor`` continues a created_at sort (None on its last page, or for other sorts)."""

    rows: list[Invoice]
    count: int
    count_is_estimate: bool
    next_cursor: str | None = None


def list_invoices_page(
    *,
    services: Services,
    user: CurrentUser,
    filters: InvoiceFilter,
    limit: int = 50,
    offset: int = 0,
    sort: str = "-created_at",
    cursor: str | None = None,
) -> InvoicePage:
    """Like ``list_invoices`` but the count is capped at ``COUNT_CAP`` (a lower bound above it),
    with the cursor of the next page for ``created_at`` sorts."""
    rows, count = list_invoices(
        services=services,
        user=user,
        filters=filters,
        limit=limit,
        offset=offset,
        sort=sort,
        count_cap=COUNT_CAP,
        cursor=cursor,
    )
    following = None
    if len(rows) == limit and sort in invoice_query.KEYSET_SORTS:
        following = encode_cursor(rows[-1], sort)
    if count > COUNT_CAP:
        return InvoicePage(rows, COUNT_CAP, True, following)
    return InvoicePage(rows, count, False, following)


def get_invoice(*, services: Services, user: CurrentUser, invoice_id: uuid.UUID) -> InvoiceDetail:
    """One invoice with its lines and matches."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        return InvoiceDetail(
            **invoice.as_dict(),
            lines=tuple(invoice_repo.invoice_lines(s, [invoice_id])),
            matches=tuple(invoice_repo.matches_for(s, [invoice_id])),
            exceptions=tuple(invoice_repo.exceptions_for(s, [invoice_id])),
        )


def list_lines(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID
) -> list[InvoiceLine]:
    """Line items of one invoice."""
    with user_session(services.engine, user.claims) as s:
        load_invoice(s, invoice_id, for_update=False)
        return invoice_repo.invoice_lines(s, [invoice_id])


def list_matches(*, services: Services, user: CurrentUser, invoice_id: uuid.UUID) -> list[Match]:
    """Match proposals of one invoice with candidates and reasons."""
    with user_session(services.engine, user.claims) as s:
        load_invoice(s, invoice_id, for_update=False)
        return invoice_repo.matches_for(s, [invoice_id])


def list_exceptions(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID
) -> list[MatchException]:
    """The PO match exceptions of one invoice (typed codes, the PO's own first, then by line)."""
    with user_session(services.engine, user.claims) as s:
        load_invoice(s, invoice_id, for_update=False)
        return invoice_repo.exceptions_for(s, [invoice_id])


def audit_log(
    *,
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEvent]:
    """The invoice's audit trail, oldest first."""
    with user_session(services.engine, user.claims) as s:
        load_invoice(s, invoice_id, for_update=False)
        return invoice_repo.audit_for_invoice(s, invoice_id, limit=limit, offset=offset)


@dataclass(frozen=True)
class AuditLine:
    """One audit event as an operator reads it: when, what, who (e-mail) and what changed."""

    at: dt.datetime
    action: str
    by: str
    changed: str


def _changed(event: AuditEvent) -> str:
    meta = event.meta or {}
    if meta.get("reason"):
        return f"reason: {meta['reason']}"
    if meta.get("why"):
        return str(meta["why"])
    before, after = event.before or {}, event.after or {}
    keys = [k for k in after if k not in ("status", "version") and before.get(k) != after.get(k)]
    parts = [f"{k}: {before.get(k)!s} → {after.get(k)!s}" for k in keys[:4]]
    if before.get("status") != after.get("status") and after.get("status"):
        parts.insert(0, f"status → {after['status']}")
    return "; ".join(parts)


def audit_trail(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID, limit: int = 200
) -> list[AuditLine]:
    """The invoice's audit trail for a person: newest first, actors by e-mail."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        events = invoice_repo.audit_for_invoice(s, invoice_id, limit=1000, offset=0)
        actors = [e.actor_id for e in events if e.actor_id]
        emails = approval_repo.member_emails(s, invoice.client_id, actors)
    return [
        AuditLine(
            at=e.created_at,
            action=e.action,
            by=emails.get(e.actor_id, "") if e.actor_id else "system",
            changed=_changed(e),
        )
        for e in reversed(events[-limit:])
    ]


def delete_invoice(*, services: Services, user: CurrentUser, invoice_id: uuid.UUID) -> None:
    """Delete an invoice and its stored file (a database trigger audits the deletion)."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id)
        require_role(s, invoice.client_id, WRITERS)
        file_row = tenant_repo.get_file(s, invoice.file_id) if invoice.file_id else None
        invoice_repo.delete_invoice(s, invoice_id)
        if file_row is not None:
            tenant_repo.delete_file(s, file_row.id)
    if file_row is not None:
        services.storage.delete(file_row.object_key, user)


def original_file(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID
) -> tuple[bytes, str, str]:
    """The original bytes, content type and name of an invoice's file."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        file_row = tenant_repo.get_file(s, invoice.file_id) if invoice.file_id else None
    if file_row is None:
        raise NotFound("the invoice has no stored file")
    data = services.storage.get(file_row.object_key, user)
    return data, file_row.content_type, file_row.original_name


def original_file_url(*, services: Services, user: CurrentUser, invoice_id: uuid.UUID) -> str:
    """A short-lived signed URL for the original file."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        file_row = tenant_repo.get_file(s, invoice.file_id) if invoice.file_id else None
    if file_row is None:
        raise NotFound("the invoice has no stored file")
    return services.storage.signed_url(file_row.object_key, user)


def export_invoices(
    *,
    services: Services,
    user: CurrentUser,
    filters: InvoiceFilter,
    fmt: exports.ExportFormat,
    sheet: str = "invoices",
    mark_exported: bool = False,
    bills: bills_export.BillsOptions | None = None,
) -> bytes:
    """Render matching invoices (approved/exported by default). A read: it changes nothing.

    Marking the exported invoices is ``mark_invoices_exported`` (its own request); the
    ``mark_exported`` flag is kept for callers that want both in one unit of work.
    ``bills`` are the options of the ``xero_bills`` format (account code, tax rate, date order).
    At most ``MAX_EXPORT`` invoices: a larger export is an export job (``export_jobs``).
    """
    return export_invoices_counted(
        services=services, user=user, filters=filters, fmt=fmt, sheet=sheet,
        mark_exported=mark_exported, bills=bills,
    ).data  # fmt: skip


@dataclass(frozen=True)
class ExportResult:
    """An export's file and what it contained: invoices rendered, invoices marked exported."""

    data: bytes
    row_count: int
    marked_exported: int


def export_invoices_counted(
    *,
    services: Services,
    user: CurrentUser,
    filters: InvoiceFilter,
    fmt: exports.ExportFormat,
    sheet: str = "invoices",
    mark_exported: bool = False,
    bills: bills_export.BillsOptions | None = None,
    max_rows: int | None = MAX_EXPORT,
) -> ExportResult:
    """``export_invoices`` with its counts; ``max_rows=None`` (export jobs) has no cap."""
    if fmt not in exports.MEDIA_TYPES:
        raise ValidationFailed("format must be csv, xlsx, json or xero_bills")
    if sheet not in exports.SHEETS:
        raise ValidationFailed("sheet must be invoices, lines, matches or exceptions")
    if not filters.status:
        filters = replace(filters, status=tuple(EXPORTABLE))
    _check(filters)
    with user_session(services.engine, user.claims) as s:
        rows, count = invoice_query.list_invoices(
            s,
            filters,
            member_clients=_member_clients(s, filters),
            sort="created_at",
            limit=max_rows if max_rows is not None else 2**31 - 1,
            offset=0,
        )
        if max_rows is not None and count > max_rows:
            raise ValidationFailed(
                f"at most {max_rows} invoices per download: narrow the filter, or create an"
                " export job (POST /api/v1/export-jobs), which has no limit"
            )
        bundle = _bundle(s, rows)
        if fmt == "xero_bills":
            data = bills_export.to_xero_bills(bundle.invoices, bundle.lines, bills)
        else:
            data = exports.render(bundle, fmt, sheet=sheet)
        marked = _mark(s, [r.id for r in rows], fmt).marked if mark_exported else ()
    return ExportResult(data, len(rows), len(marked))


def _bundle(s: Session, rows: list[Any]) -> exports.ExportBundle:
    """The export's rows: client names, users by e-mail, match decisions in plain words."""
    ids = [r.id for r in rows]
    lines = invoice_repo.invoice_lines(s, ids)
    matches = invoice_repo.matches_for(s, ids)
    client_names = {c.id: c.name for c in tenant_repo.list_clients(s)}
    emails: dict[uuid.UUID, str] = {}
    for client_id in {r.client_id for r in rows}:
        users = [r.reviewed_by for r in rows if r.client_id == client_id and r.reviewed_by]
        users += [m.decided_by for m in matches if m.client_id == client_id and m.decided_by]
        emails.update(approval_repo.member_emails(s, client_id, users))
    notes = invoice_repo.approval_notes(s, [r.id for r in rows if r.reviewed_by])
    # Approved with no touch: the approver is the trust ladder under its policy version.
    ladder = invoice_repo.ladder_approvals(s, [r.id for r in rows])
    candidate_ids = {
        uuid.UUID(str(c["vendor_id"]))
        for m in matches
        for c in (m.candidates or ())
        if isinstance(c, dict) and c.get("vendor_id")
    }
    vendor_names = {str(k): v for k, v in invoice_repo.vendor_names(s, candidate_ids).items()}
    found = invoice_repo.exceptions_for(s, ids)  # PO match exceptions, in words per line
    codes: dict[uuid.UUID, set[str]] = {}
    by_line: dict[tuple[uuid.UUID, int], list[str]] = {}
    for x in found:
        codes.setdefault(x.invoice_id, set()).add(x.code)
        if x.line_no is not None:
            by_line.setdefault((x.invoice_id, x.line_no), []).append(
                f"{exception_words(x.code)}: {x.reason}"
            )

    def who(user_id: uuid.UUID | None) -> str | None:
        return None if user_id is None else emails.get(user_id, str(user_id))

    def approval(r: Any) -> dict[str, Any]:
        if r.id in ladder:
            version, at = ladder[r.id]
            return {
                "approved_at": at,
                "approved_by": f"trust ladder (policy v{version})",
                "approval_note": f"approved by trust ladder (policy v{version})",
            }
        return {
            "approved_at": r.reviewed_at,
            "approved_by": who(r.reviewed_by),
            "approval_note": notes.get(r.id),
        }

    return exports.ExportBundle(
        invoices=[
            {
                **r.as_dict(),
                "client_name": client_names.get(r.client_id, ""),
                **approval(r),
                "exception_codes": ", ".join(sorted(codes.get(r.id, ()))),
            }
            for r in rows
        ],
        lines=[
            {
                **line.as_dict(),
                "position": line.line_no,
                "exceptions": "; ".join(by_line.get((line.invoice_id, line.line_no), [])),
            }
            for line in lines
        ],
        exceptions=[{**x.as_dict(), "words": exception_words(x.code)} for x in found],
        matches=[
            {
                **m.as_dict(),
                "decision": m.status,
                "score": float(m.score) if m.score is not None else None,
                "explanation": explain_match(
                    m.as_dict(), vendor_names=vendor_names, decided_by=who(m.decided_by)
                ),
                "decided_by": who(m.decided_by),
            }
            for m in matches
        ],
    )


def approved_ids(
    *, services: Services, user: CurrentUser, filters: InvoiceFilter
) -> list[uuid.UUID]:
    """The approved invoices an export with ``filters`` covers (what marking it would move)."""
    wanted = tuple(filters.status or EXPORTABLE)
    if S.approved not in wanted and S.approved.value not in wanted:
        return []
    filters = replace(filters, status=(S.approved,))
    _check(filters)
    with user_session(services.engine, user.claims) as s:
        rows, _count = invoice_query.list_invoices(
            s,
            filters,
            member_clients=_member_clients(s, filters),
            sort="created_at",
            limit=MAX_EXPORT,
            offset=0,
        )
    return [r.id for r in rows]


@dataclass(frozen=True)
class MarkedExported:
    """What marking invoices exported did: the ones now exported, and the ones left as they were
    (not approved, or the caller's role may only read them)."""

    marked: tuple[uuid.UUID, ...]
    skipped: tuple[uuid.UUID, ...]


def _mark(s: Session, invoice_ids: list[uuid.UUID], fmt: str | None) -> MarkedExported:
    roles: dict[uuid.UUID, str] = {}
    marked: list[uuid.UUID] = []
    skipped: list[uuid.UUID] = []
    for invoice_id in dict.fromkeys(invoice_ids):
        invoice = load_invoice(s, invoice_id)  # NotFound: nothing is marked (one transaction)
        if invoice.client_id not in roles:
            roles[invoice.client_id] = require_role(s, invoice.client_id)
        if invoice.status != S.approved.value or roles[invoice.client_id] not in WRITERS:
            skipped.append(invoice_id)
            continue
        meta = {"format": fmt} if fmt else {}
        apply_change(s, invoice, action="status.exported", meta=meta)
        marked.append(invoice_id)
    return MarkedExported(marked=tuple(marked), skipped=tuple(skipped))


def mark_invoices_exported(
    *,
    services: Services,
    user: CurrentUser,
    invoice_ids: list[uuid.UUID],
    fmt: str | None = None,
) -> MarkedExported:
    """Move approved invoices to ``exported`` (writers; audited ``status.exported`` each).

    Invoices not approved (already exported, still in review...), or of a client where the
    caller may only read, are skipped and listed as such; an id the caller cannot see is
    ``NotFound`` and nothing is marked."""
    if not invoice_ids:
        raise ValidationFailed("name the invoices to mark exported")
    if len(invoice_ids) > MAX_EXPORT:
        raise ValidationFailed(f"at most {MAX_EXPORT} invoices at a time")
    if fmt is not None and fmt not in exports.MEDIA_TYPES:
        raise ValidationFailed("format must be csv, xlsx, json or xero_bills")
    with user_session(services.engine, user.claims) as s:
        return _mark(s, invoice_ids, fmt)
