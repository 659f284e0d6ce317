"""SQL behind the review queue: invoices waiting for a person, most urgent first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.db.records import ReviewItem

# Invoices a person must decide come before auto-approved ones waiting for a confirmation.
# Within each, most urgent first: a possible duplicate (paying twice is the costliest
# mistake), then failed checks (validation warnings, unknown vendor), then the lowest
# extraction confidence, then the longest wait.
_QUEUE = """
select i.id, i.status, i.vendor_name, i.invoice_number, i.invoice_date, i.currency, i.total,
       i.confidence, i.match_band, i.version, i.created_at, i.updated_at,
       f.original_name as file_name,
       exists (select 1 from public.matches m where m.invoice_id = i.id
               and m.kind = 'duplicate' and m.status = 'proposed') as possible_duplicate,
       case when jsonb_typeof(i.extraction -> 'warnings') = 'array'
            then jsonb_array_length(i.extraction -> 'warnings') else 0 end as failed_checks
from public.invoices i
left join public.files f on f.id = i.file_id
where i.client_id = :client_id and i.status = any(:statuses)
order by (i.status = 'auto_approved') asc,
         possible_duplicate desc,
         (case when jsonb_typeof(i.extraction -> 'warnings') = 'array'
               then jsonb_array_length(i.extraction -> 'warnings') else 0 end > 0
          or i.match_band = 'reject') desc,
         i.confidence asc nulls first,
         i.updated_at asc, i.id
limit :limit
"""


def review_queue(
    s: Session, client_id: UUID, *, statuses: list[str], limit: int
) -> list[ReviewItem]:
    """Invoices of ``client_id`` in ``statuses``, most urgent first (see ``_QUEUE``)."""
    rows = s.execute(text(_QUEUE), {"client_id": client_id, "statuses": statuses, "limit": limit})
    return [ReviewItem.from_row(r) for r in rows.mappings()]


def invoice_extraction(s: Session, invoice_id: UUID) -> dict[str, Any] | None:
    """The stored extraction JSON (per-field confidence and evidence) of one visible invoice."""
    row = s.execute(
        text("select extraction from public.invoices where id = :id"), {"id": invoice_id}
    ).first()
    return None if row is None else row[0]
