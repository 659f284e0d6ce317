"""Importing and listing reference data (vendors, purchase orders, goods receipts) per client."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from core.auth.models import CurrentUser
from core.db import goods_receipt_repo, hint_repo, reference_repo
from core.db.records import GoodsReceipt, PurchaseOrder, Vendor, VendorAlias, VendorHint
from core.db.session import user_session
from core.errors import NotFound
from core.workflow.access import WRITERS, require_role
from core.workflow.learning import alias_key
from core.workflow.reference_import import ImportResult, Kind, RowError, parse_reference_table
from core.workflow.services import Services


@dataclass
class ImportReport:
    """Counts of what was stored, every rejected row, and warnings about rows stored anyway."""

    kind: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    aliases_added: int = 0  # new entries in the alias store (vendors only)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "errors": [asdict(e) for e in self.errors],
            "warnings": [asdict(w) for w in self.warnings],
        }


def import_reference(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    kind: Kind,
    data: bytes,
    filename: str | None = None,
) -> ImportReport:
    """Parse a CSV/XLSX file and upsert its valid rows; invalid rows are reported, not stored."""
    parsed = parse_reference_table(
        data, kind=kind, filename=filename, max_bytes=services.settings.max_upload_bytes
    )
    report = ImportReport(kind=kind, total_rows=parsed.total_rows, errors=list(parsed.errors))
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, WRITERS)
        if kind == "vendors":
            for row in parsed.rows:
                vendor_id, created = reference_repo.upsert_vendor(
                    s, client_id=client_id, row=row.model_dump()
                )
                report.created += created
                report.updated += not created
                for alias in row.aliases:
                    report.aliases_added += _add_alias(s, client_id, vendor_id, "name", alias)
            _import_alias_sheet(s, client_id, parsed, report)
        elif kind == "purchase_orders":
            _import_pos(s, client_id, parsed.rows, parsed.row_numbers, report)
        else:
            _import_receipts(s, client_id, parsed.rows, parsed.row_numbers, report)
        report.errors.sort(key=lambda e: e.row)
        report.warnings.sort(key=lambda w: w.row)
        reference_repo.record_import(
            s,
            client_id=client_id,
            kind=kind,
            created=report.created,
            updated=report.updated,
            meta={
                "filename": (filename or "")[:255],
                "rejected_rows": len(report.errors),
                "warnings": len(report.warnings),
                "aliases_added": report.aliases_added,
            },
        )
    return report


def _add_alias(s: Any, client_id: uuid.UUID, vendor_id: Any, kind: str, value: str) -> bool:
    """Put one imported alias in the alias store (normalized as the matcher does)."""
    return reference_repo.add_vendor_alias(
        s,
        client_id=client_id,
        vendor_id=vendor_id,
        kind=kind,
        value=value,
        normalized=alias_key(kind, value),
        source="import",
    )


def _import_alias_sheet(
    s: Any, client_id: uuid.UUID, parsed: ImportResult, report: ImportReport
) -> None:
    """Aliases of the workbook's second sheet, each naming a vendor by code or name."""
    if not parsed.aliases:
        return
    vendors = reference_repo.vendor_ids_by_reference(s, client_id)
    for number, row in zip(parsed.alias_rows, parsed.aliases, strict=True):
        vendor_id = vendors.get(row.vendor.lower())
        if vendor_id is None:
            report.errors.append(
                RowError(
                    number, "aliases sheet: vendor", f"no vendor with code or name {row.vendor!r}"
                )
            )
            continue
        report.aliases_added += _add_alias(s, client_id, vendor_id, row.kind, row.alias)


def _import_pos(
    s: Any, client_id: uuid.UUID, rows: list[Any], numbers: list[int], report: ImportReport
) -> None:
    vendors = reference_repo.vendor_ids_by_reference(s, client_id)
    grouped: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for n, row in zip(numbers, rows, strict=True):
        grouped[row.po_number].append((n, row))
    for po_number, items in grouped.items():
        head = items[0][1]
        vendor_id = None
        if head.vendor:
            vendor_id = vendors.get(head.vendor.lower())
            if vendor_id is None:
                for n, _ in items:
                    report.errors.append(RowError(n, "vendor", f"unknown vendor {head.vendor!r}"))
                continue
        lines = _po_lines(po_number, items, report)
        total = head.total
        if total is None and lines and all(line["amount"] is not None for line in lines):
            total = sum(line["amount"] for line in lines)
        _, created, sync = reference_repo.upsert_purchase_order(
            s,
            client_id=client_id,
            header={
                "vendor_id": vendor_id,
                "po_number": po_number,
                "order_date": head.order_date,
                "currency": head.currency,
                "total": total,
            },
            lines=lines,
        )
        report.created += created
        report.updated += not created
        if sync.unlinked_receipt_lines:
            nos = ", ".join(str(n) for n in sync.removed_line_nos)
            report.warnings.append(
                RowError(
                    items[0][0],
                    "line_no",
                    f"PO {po_number}: line(s) {nos} are no longer in the file and were removed;"
                    f" {sync.unlinked_receipt_lines} goods-receipt line(s) lost their link",
                )
            )


def _po_lines(
    po_number: str, items: list[tuple[int, Any]], report: ImportReport
) -> list[dict[str, Any]]:
    """The PO's lines keyed by line_no (the row position when absent); repeats are refused."""
    lines: list[dict[str, Any]] = []
    seen: set[int] = set()
    for i, (n, row) in enumerate(items, start=1):
        if not (row.description or row.product_code or row.amount is not None):
            continue  # a header-only row
        line_no = row.line_no or i
        if line_no in seen:
            report.errors.append(
                RowError(n, "line_no", f"line {line_no} of PO {po_number!r} appears twice")
            )
            continue
        seen.add(line_no)
        amount = row.amount
        if amount is None and row.quantity is not None and row.unit_price is not None:
            amount = row.quantity * row.unit_price
        lines.append(
            {
                "line_no": line_no,
                "description": row.description,
                "product_code": row.product_code,
                "quantity": row.quantity,
                "unit_price": row.unit_price,
                "amount": amount,
            }
        )
    return lines


def _import_receipts(
    s: Any, client_id: uuid.UUID, rows: list[Any], numbers: list[int], report: ImportReport
) -> None:
    pos = reference_repo.po_ids_by_number(s, client_id)
    grouped: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for n, row in zip(numbers, rows, strict=True):
        grouped[row.receipt_number].append((n, row))
    for receipt_number, items in grouped.items():
        head = items[0][1]
        po_id = pos.get(head.po_number)
        if po_id is None:
            for n, _ in items:
                report.errors.append(RowError(n, "po_number", f"unknown PO {head.po_number!r}"))
            continue
        po_lines = reference_repo.po_line_ids(s, po_id)
        lines = []
        for i, (n, row) in enumerate(items, start=1):
            line_id = None
            if row.line_no is not None:
                line_id = po_lines.get(("line", str(row.line_no)))
            if line_id is None and row.product_code:
                line_id = po_lines.get(("code", row.product_code.lower()))
            if line_id is None and (row.line_no is not None or row.product_code):
                wanted = row.line_no if row.line_no is not None else repr(row.product_code)
                report.warnings.append(
                    RowError(
                        n,
                        "line_no",
                        f"PO {head.po_number!r} has no line {wanted}; stored without a PO line",
                    )
                )
            lines.append(
                {"line_no": i, "purchase_order_line_id": line_id, "quantity": row.quantity}
            )
        _, created = goods_receipt_repo.upsert_goods_receipt(
            s,
            client_id=client_id,
            receipt_number=receipt_number,
            po_id=po_id,
            received_on=head.received_date,
            lines=lines,
        )
        report.created += created
        report.updated += not created


def list_vendors(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, limit: int = 50, offset: int = 0
) -> tuple[list[Vendor], int]:
    """A page of a client's vendor master."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return reference_repo.list_vendors(s, client_id, limit=limit, offset=offset)


def list_purchase_orders(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, limit: int = 50, offset: int = 0
) -> tuple[list[PurchaseOrder], int]:
    """A page of a client's purchase orders."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return reference_repo.list_purchase_orders(s, client_id, limit=limit, offset=offset)


def list_goods_receipts(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    po_number: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[GoodsReceipt], int]:
    """A page of a client's goods receipts, optionally only those of one PO number."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return goods_receipt_repo.list_goods_receipts(
            s, client_id, po_number=po_number, limit=limit, offset=offset
        )


def list_vendor_aliases(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    vendor_id: uuid.UUID | None = None,
) -> list[VendorAlias]:
    """The client's alias store (imported, learned and hand-added), optionally one vendor's."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return reference_repo.list_vendor_aliases(s, client_id, vendor_id=vendor_id)


def remove_vendor_alias(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, alias_id: uuid.UUID
) -> None:
    """Remove one alias (owners and operators). No invoice changes: nothing approved re-opens."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, WRITERS)
        if not reference_repo.delete_vendor_alias(s, client_id, alias_id):
            raise NotFound("alias not found", alias_id=str(alias_id))


def list_vendor_hints(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    vendor_id: uuid.UUID | None = None,
) -> list[VendorHint]:
    """The extraction hints learned from corrections, per vendor and field."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return hint_repo.list_hints(s, client_id, vendor_id=vendor_id)


def remove_vendor_hint(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, hint_id: uuid.UUID
) -> None:
    """Remove one hint (owners and operators); no invoice changes."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, WRITERS)
        if not hint_repo.delete_hint(s, client_id, hint_id):
            raise NotFound("hint not found", hint_id=str(hint_id))
