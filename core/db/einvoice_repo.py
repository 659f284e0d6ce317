"""SQL for the e-invoice export: the parts of an invoice that have no column of their own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session


def extraction_of(s: Session, invoice_id: UUID) -> dict[str, Any] | None:
    """The stored extraction JSON of an invoice visible to the session (None when absent)."""
    row = s.execute(
        text("select extraction from public.invoices where id = :id"), {"id": invoice_id}
    ).first()
    return dict(row[0]) if row is not None and isinstance(row[0], dict) else None
