"""SQL for invoices, their lines, matches and the audit log (workflow's data).

Every function takes the caller's ``Session`` (a ``user_session`` under RLS, or a named
``service_session``): visibility and write rights are the database's business, not ours. Rows
come back as the frozen records of ``core.db.records`` (their fields are the select lists). An
invoice changes only through ``run_action``, which calls the database's doors
(``public.invoice_transition`` / ``public.invoice_correct``); users cannot write lines, matches
or audit events directly, and ``core.workflow`` is the only caller. The invoice list's query is
built in ``core.db.invoice_query``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from core.db.records import (
    CORRECTABLE_FIELDS,
    AuditEvent,
    DuplicateCandidate,
    Invoice,
    InvoiceLine,
    Match,
    MatchException,
    columns,
)

# Kept for callers of the former column tuple: the correctable header fields.
INVOICE_FIELDS = CORRECTABLE_FIELDS
_INVOICE_FROM = """
from public.invoices i
left join public.files f on f.id = i.file_id
left join public.vendors v on v.id = i.vendor_id
"""
INVOICE_SELECT = f"select {columns(Invoice)}{_INVOICE_FROM}"
_MATCH_SELECT = (
    f"select {columns(Match)} from public.matches m"  # noqa: S608 - constant
    " join public.invoices i on i.id = m.invoice_id"
    " left join public.vendors v on v.id = m.vendor_id"
    " left join public.purchase_orders po on po.id = m.purchase_order_id"
    " left join public.invoices d on d.id = m.duplicate_of_invoice_id"
)


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


def record_exceptions(s: Session, invoice_id: UUID, exceptions: Sequence[Mapping[str, Any]]) -> int:
    """Replace the invoice's PO match exceptions (``public.invoice_record_exceptions``: only right
    after the door call that proposed its matches, in the same transaction); how many."""
    stmt = text("select public.invoice_record_exceptions(:i, :x)").bindparams(
        bindparam("x", type_=JSONB)
    )
    payload = json.loads(json.dumps([dict(x) for x in exceptions], default=str))
    return int(s.execute(stmt, {"i": invoice_id, "x": payload}).scalar_one())


def _jsonable(value: Mapping[str, Any] | None) -> Any:
    return None if value is None else json.loads(json.dumps(dict(value), default=str))


def get_invoice(s: Session, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
    """One invoice visible to the session, with its file name and matched vendor name."""
    sql = INVOICE_SELECT + " where i.id = :id"
    if for_update:
        sql += " for update of i"
    row = s.execute(text(sql), {"id": invoice_id}).mappings().first()
    return None if row is None else Invoice.from_row(row)


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


def invoice_lines(s: Session, invoice_ids: Iterable[UUID]) -> list[InvoiceLine]:
    """Lines of the given invoices, in invoice and line order."""
    ids = list(invoice_ids)
    if not ids:
        return []
    rows = s.execute(
        text(
            f"select {columns(InvoiceLine)} from public.invoice_lines l"  # noqa: S608 - constant
            " join public.invoices i on i.id = l.invoice_id"
            " where l.invoice_id = any(:ids) order by l.invoice_id, l.line_no"
        ),
        {"ids": ids},
    )
    return [InvoiceLine.from_row(r) for r in rows.mappings()]


def matches_for(s: Session, invoice_ids: Iterable[UUID]) -> list[Match]:
    """Match rows of the given invoices, with the target's display name."""
    ids = list(invoice_ids)
    if not ids:
        return []
    rows = s.execute(
        text(
            _MATCH_SELECT + " where m.invoice_id = any(:ids) order by m.invoice_id,"
            " array_position(array['vendor', 'purchase_order', 'duplicate'], m.kind),"
            " m.created_at"
        ),
        {"ids": ids},
    )
    return [Match.from_row(r) for r in rows.mappings()]


def exceptions_for(s: Session, invoice_ids: Iterable[UUID]) -> list[MatchException]:
    """PO match exceptions of the given invoices: the PO's own first, then by line."""
    ids = list(invoice_ids)
    if not ids:
        return []
    rows = s.execute(
        text(
            f"select {columns(MatchException)} from public.match_exceptions x"  # noqa: S608
            " join public.invoices i on i.id = x.invoice_id"
            " left join public.purchase_orders po on po.id = x.purchase_order_id"
            " where x.invoice_id = any(:ids)"
            " order by x.invoice_id, x.line_no nulls first, x.code"
        ),
        {"ids": ids},
    )
    return [MatchException.from_row(r) for r in rows.mappings()]


def get_match(s: Session, match_id: UUID) -> Match | None:
    """One match row visible to the session."""
    row = s.execute(text(_MATCH_SELECT + " where m.id = :id"), {"id": match_id}).mappings().first()
    return None if row is None else Match.from_row(row)


def audit_for_invoice(s: Session, invoice_id: UUID, *, limit: int, offset: int) -> list[AuditEvent]:
    """Audit events of one invoice, oldest first."""
    rows = s.execute(
        text(
            f"select {columns(AuditEvent)} from public.audit_events a"  # noqa: S608 - constant
            " where a.invoice_id = :i order by a.created_at, a.id limit :lim offset :off"
        ),
        {"i": invoice_id, "lim": limit, "off": offset},
    )
    return [AuditEvent.from_row(r) for r in rows.mappings()]


def duplicate_candidates(
    s: Session,
    *,
    client_id: UUID,
    invoice_id: UUID,
    number_key: str,
    digits_key: str = "",
    invoice_date: dt.date | None = None,
) -> list[DuplicateCandidate]:
    """Other live invoices of the client whose invoice number has the same letters and digits
    (zeros and punctuation ignored: ``number_key``), or, with ``digits_key`` and
    ``invoice_date``, the same digits (letters ignored too) and the same invoice date (an OCR
    misread prefix: "2025-8266" for "R2025-8266"); the caller compares them exactly."""
    if not number_key:
        return []
    by_digits = ""
    params: dict[str, Any] = {"c": client_id, "i": invoice_id, "k": number_key}
    if digits_key and invoice_date is not None:
        by_digits = (
            " or (regexp_replace(i.invoice_number, '[^1-9]', '', 'g') = :d"
            " and i.invoice_date = :dt)"
        )
        params.update(d=digits_key, dt=invoice_date)
    rows = s.execute(
        text(
            f"select {columns(DuplicateCandidate)} from public.invoices i"  # noqa: S608
            " where i.client_id = :c and i.id <> :i and i.status <> 'failed'"
            " and (regexp_replace(lower(i.invoice_number), '[^1-9a-z]', '', 'g') = :k"
            f"{by_digits}) order by i.created_at limit 20"
        ),
        params,
    )
    return [DuplicateCandidate.from_row(r) for r in rows.mappings()]


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


def vendor_names(s: Session, vendor_ids: Iterable[UUID]) -> dict[UUID, str]:
    """Names of the given vendors the session may see."""
    ids = list(dict.fromkeys(vendor_ids))
    if not ids:
        return {}
    rows = s.execute(text("select id, name from public.vendors where id = any(:ids)"), {"ids": ids})
    return {r[0]: r[1] for r in rows}


def ladder_approvals(s: Session, invoice_ids: Iterable[UUID]) -> dict[UUID, tuple[int, Any]]:
    """Invoices whose latest approval is the trust ladder's: ``{id: (policy_version, at)}``.

    A person's later approval (after a re-open) is the latest one, so that invoice is not here.
    """
    ids = list(dict.fromkeys(invoice_ids))
    if not ids:
        return {}
    rows = s.execute(
        text(
            "select * from (select distinct on (e.invoice_id) e.invoice_id, e.action,"
            " e.meta ->> 'policy_version' as version, e.created_at"
            " from public.audit_events e"
            " where e.invoice_id = any(:ids)"
            " and e.action in ('status.approved', 'approval.overridden',"
            " 'trust_ladder.auto_approved')"
            " order by e.invoice_id, e.created_at desc, e.id desc) x"
            " where x.action = 'trust_ladder.auto_approved'"
        ),
        {"ids": ids},
    )
    return {r[0]: (int(r[2]) if r[2] is not None else 0, r[3]) for r in rows}


def approval_notes(s: Session, invoice_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The reason given with each invoice's latest approval (an override's reason, or a note)."""
    ids = list(dict.fromkeys(invoice_ids))
    if not ids:
        return {}
    rows = s.execute(
        text(
            "select distinct on (e.invoice_id) e.invoice_id,"
            " coalesce(e.meta ->> 'reason', e.meta ->> 'note')"
            " from public.audit_events e"
            " where e.invoice_id = any(:ids)"
            " and e.action in ('status.approved', 'approval.overridden')"
            " order by e.invoice_id, e.created_at desc, e.id desc"
        ),
        {"ids": ids},
    )
    return {r[0]: r[1] for r in rows if r[1]}
