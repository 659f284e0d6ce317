"""SQL for multi-invoice files (``supabase/migrations/20261206310400_invoice_split.sql``): an
invoice's page range, the worker's split door and the operator's re-split door, and the file's
split history (under RLS)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.integration_records import FileSplit
from core.db.records import columns

_SPLITS = f"select {columns(FileSplit)} from public.file_splits s"  # noqa: S608 - constant


def pages(s: Session, invoice_id: UUID) -> tuple[int, int] | None:
    """The invoice's page range in its file, or None (the whole file)."""
    row = s.execute(
        text("select page_from, page_to from public.invoices where id = :i"), {"i": invoice_id}
    ).first()
    if row is None or row.page_from is None:
        return None
    return int(row.page_from), int(row.page_to)


def split(
    s: Session, invoice_id: UUID, parts: list[tuple[int, int]], plan: dict[str, Any]
) -> list[UUID]:
    """The worker found several invoices: this one becomes part 1, the others are created."""
    ids = s.execute(
        text("select public.invoice_split(:i, cast(:p as jsonb), cast(:plan as jsonb))"),
        {"i": invoice_id, "p": json.dumps(parts), "plan": json.dumps(plan)},
    ).scalar_one()
    return list(ids or [])


def resplit(s: Session, invoice_id: UUID, parts: list[tuple[int, int]]) -> list[UUID]:
    """An operator's new parts for the invoice's file: one new invoice per part."""
    ids = s.execute(
        text("select public.invoice_resplit(:i, cast(:p as jsonb))"),
        {"i": invoice_id, "p": json.dumps(parts)},
    ).scalar_one()
    return list(ids or [])


def splits_of_file(s: Session, file_id: UUID) -> list[FileSplit]:
    rows = s.execute(
        text(f"{_SPLITS} where s.file_id = :f order by s.created_at desc"), {"f": file_id}
    )
    return [FileSplit.from_row(r) for r in rows.mappings()]
