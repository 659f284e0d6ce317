"""Per-vendor extraction hints (``public.vendor_extraction_hints``), under the caller's RLS."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.records import VendorHint, columns

_FROM = " from public.vendor_extraction_hints h join public.vendors v on v.id = h.vendor_id"


def list_hints(s: Session, client_id: UUID, *, vendor_id: UUID | None = None) -> list[VendorHint]:
    """The client's hints (optionally one vendor's), by vendor name and field."""
    rows = s.execute(
        text(
            f"select {columns(VendorHint)}{_FROM}"
            " where h.client_id = :c and (cast(:v as uuid) is null or h.vendor_id = :v)"
            " order by v.name, h.field"
        ),
        {"c": client_id, "v": vendor_id},
    )
    return [VendorHint.from_row(r) for r in rows.mappings()]


def get_hint(s: Session, client_id: UUID, vendor_id: UUID, field: str) -> VendorHint | None:
    row = (
        s.execute(
            text(
                f"select {columns(VendorHint)}{_FROM}"
                " where h.client_id = :c and h.vendor_id = :v and h.field = :f for update of h"
            ),
            {"c": client_id, "v": vendor_id, "f": field},
        )
        .mappings()
        .first()
    )
    return VendorHint.from_row(row) if row is not None else None


def insert_hint(
    s: Session,
    *,
    client_id: UUID,
    vendor_id: UUID,
    row: dict[str, Any],
    source_invoice_id: UUID | None,
) -> UUID:
    return UUID(
        str(
            s.execute(
                text(
                    "insert into public.vendor_extraction_hints (client_id, vendor_id, field,"
                    " anchor, direction, page, region, token_start, token_count, day_first,"
                    " source_invoice_id) values (:c, :v, :field, :anchor, :direction, :page,"
                    " cast(:region as numeric[]), :token_start, :token_count, :day_first, :inv)"
                    " returning id"
                ),
                {"c": client_id, "v": vendor_id, "inv": source_invoice_id, **row},
            ).scalar_one()
        )
    )


def move_hint(s: Session, hint_id: UUID, *, row: dict[str, Any], source_invoice_id: UUID) -> None:
    """Put a hint at a new place (after a correction), weight back to 1."""
    s.execute(
        text(
            "update public.vendor_extraction_hints set anchor = :anchor, direction = :direction,"
            " page = :page, region = cast(:region as numeric[]), token_start = :token_start,"
            " token_count = :token_count, day_first = :day_first, weight = 1,"
            " source_invoice_id = :inv where id = :id"
        ),
        {"id": hint_id, "inv": source_invoice_id, **{k: v for k, v in row.items() if k != "field"}},
    )


def weigh_hint(s: Session, hint_id: UUID, *, agreed: bool, step: float) -> float:
    """Weight up (agreement) or down (contrary correction); returns the new weight."""
    column = "agreements" if agreed else "contradictions"
    return float(
        s.execute(
            text(
                "update public.vendor_extraction_hints set weight = greatest(-100, least(100,"  # noqa: S608
                f" weight + :d)), {column} = {column} + 1 where id = :id returning weight"
            ),
            {"id": hint_id, "d": step if agreed else -step},
        ).scalar_one()
    )


def delete_hint(s: Session, client_id: UUID, hint_id: UUID) -> bool:
    row = s.execute(
        text(
            "delete from public.vendor_extraction_hints where client_id = :c and id = :h"
            " returning id"
        ),
        {"c": client_id, "h": hint_id},
    ).first()
    return row is not None


def stored_extraction(s: Session, invoice_id: UUID) -> dict[str, Any] | None:
    """The extraction JSON the worker stored on an invoice (visible to the caller)."""
    value = s.execute(
        text("select extraction from public.invoices where id = :i"), {"i": invoice_id}
    ).scalar_one_or_none()
    return value if isinstance(value, dict) else None


def vendor_currencies(s: Session, client_id: UUID, vendor_id: UUID) -> tuple[str | None, list[str]]:
    """The vendor's master currency and the currencies of its invoices a person or the trust
    ladder approved (approved or exported), as the caller sees them."""
    master = s.execute(
        text("select default_currency from public.vendors where client_id = :c and id = :v"),
        {"c": client_id, "v": vendor_id},
    ).scalar_one_or_none()
    approved = (
        s.execute(
            text(
                "select distinct currency from public.invoices where client_id = :c"
                " and vendor_id = :v and status in ('approved', 'exported')"
                " and currency is not null"
            ),
            {"c": client_id, "v": vendor_id},
        )
        .scalars()
        .all()
    )
    return (str(master) if master else None), [str(c) for c in approved]
