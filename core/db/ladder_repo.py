"""SQL of the trust ladder (issue 14): each vendor's state and why an invoice may not go
straight through. The database decides (``public.auto_approval_reasons``, the streak trigger,
the door's refusal); this module only calls it."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.records import AutoApprovalReason, VendorTrust, columns


def auto_approval_reasons(s: Session, invoice_id: UUID) -> list[AutoApprovalReason]:
    """Every failed condition of straight-through approval for the invoice now (none: it may)."""
    rows = s.execute(
        text("select code, message, detail from public.auto_approval_reasons(:i) order by code"),
        {"i": invoice_id},
    ).mappings()
    return [
        AutoApprovalReason(code=r["code"], message=r["message"], detail=dict(r["detail"] or {}))
        for r in rows
    ]


def list_trust(s: Session, client_id: UUID, *, vendor_id: UUID | None = None) -> list[VendorTrust]:
    """Every vendor of the client with its ladder state (vendors never approved: streak 0)."""
    rows = s.execute(
        text(
            f"select {columns(VendorTrust)} from public.vendors v"  # noqa: S608 - constant
            " left join public.vendor_trust t on t.client_id = v.client_id and t.vendor_id = v.id"
            " where v.client_id = :c and (cast(:v as uuid) is null or v.id = :v)"
            " order by v.name, v.id"
        ),
        {"c": client_id, "v": vendor_id},
    )
    return [VendorTrust.from_row(r) for r in rows.mappings()]


def set_paused(s: Session, client_id: UUID, vendor_id: UUID, paused: bool) -> None:
    """Pause or resume one vendor's ladder (``public.set_vendor_ladder_paused``: owners only)."""
    s.execute(
        text("select 1 from public.set_vendor_ladder_paused(:c, :v, :p)"),
        {"c": client_id, "v": vendor_id, "p": paused},
    )
