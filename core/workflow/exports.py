"""Exports of invoices, their lines, matches and PO match exceptions as CSV, XLSX and JSON.

Pure functions over plain rows (dicts), so the workflow can feed them from any query and the tests
can read the files back. Text cells that a spreadsheet would treat as a formula (leading ``=``,
``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'`` in CSV and XLSX: invoice
text is untrusted, and a vendor name like ``=HYPERLINK(...)`` must stay text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

import xlsxwriter

Kind = Literal["text", "number", "integer", "percent", "date", "datetime"]
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One exported column: row key, header text and how to format it."""

    key: str
    header: str
    kind: Kind = "text"
    width: int = 14


INVOICE_COLUMNS: tuple[Column, ...] = (
    Column("id", "Invoice ID", width=38),
    Column("client_name", "Client", width=24),
    Column("status", "Status", width=14),
    Column("vendor_name", "Vendor", width=30),
    Column("matched_vendor_name", "Matched vendor", width=30),
    Column("vendor_vat_id", "Vendor VAT ID", width=18),
    Column("vendor_iban", "Vendor IBAN", width=28),
    Column("invoice_number", "Invoice number", width=18),
    Column("po_number", "PO number", width=14),
    Column("document_type", "Type", width=12),
    Column("invoice_date", "Invoice date", "date", 12),
    Column("due_date", "Due date", "date", 12),
    Column("currency", "Currency", width=9),
    Column("line_total", "Line total", "number"),
    Column("subtotal", "Subtotal", "number"),
    Column("tax", "Tax", "number"),
    Column("total", "Total", "number"),
    Column("amount_due", "Amount due", "number"),
    Column("payment_reference", "Payment reference", width=24),
    Column("confidence", "Confidence", "percent", 11),
    Column("match_band", "Match band", width=12),
    Column("exception_codes", "PO exceptions", width=30),  # stable codes, see the exceptions sheet
    Column("extractor", "Extractor", width=16),
    Column("file_name", "File", width=30),
    Column("approved_at", "Approved at", "datetime", 19),
    Column("approved_by", "Approved by", width=28),  # e-mail, or "trust ladder (policy vN)"
    Column("approval_note", "Approval note", width=40),  # an override's reason
)
LINE_COLUMNS: tuple[Column, ...] = (
    Column("invoice_id", "Invoice ID", width=38),
    Column("invoice_number", "Invoice number", width=18),
    Column("position", "Line", "integer", 6),
    Column("description", "Description", width=40),
    Column("product_code", "Product code", width=14),
    Column("quantity", "Quantity", "number", 10),
    Column("unit", "Unit", width=8),
    Column("unit_price", "Unit price", "number", 12),
    Column("tax_rate", "Tax rate %", "number", 10),
    Column("allowance", "Allowance", "number", 11),
    Column("charge", "Charge", "number", 11),
    Column("amount", "Amount", "number", 12),
    Column("exceptions", "Exceptions", width=50),  # the line's PO match exceptions in words
)
MATCH_COLUMNS: tuple[Column, ...] = (
    Column("invoice_id", "Invoice ID", width=38),
    Column("invoice_number", "Invoice number", width=18),
    Column("kind", "Kind", width=10),
    Column("target_name", "Matched to", width=30),
    Column("score", "Score", "number", 9),  # 0-100, the matcher's scale
    Column("band", "Band", width=12),
    Column("decision", "Decision", width=12),
    Column("explanation", "Explanation", width=70),  # in plain words (match_words)
    Column("reason", "Matcher detail", width=60),
    Column("profile_version", "Profile version", "integer", 10),
    Column("decided_by", "Decided by", width=28),  # e-mail
    Column("decided_at", "Decided at", "datetime", 19),
)
# Purchase-order match exceptions, one row each (``po.*`` rows have no line).
EXCEPTION_COLUMNS: tuple[Column, ...] = (
    Column("invoice_id", "Invoice ID", width=38),
    Column("invoice_number", "Invoice number", width=18),
    Column("po_number", "PO number", width=14),
    Column("line_no", "Line", "integer", 6),
    Column("po_line_no", "PO line", "integer", 8),
    Column("words", "Exception", width=40),
    Column("reason", "Details", width=60),
    Column("code", "Code", width=26),
    Column("quantity", "Billed quantity", "number", 10),
    Column("billed_before", "Billed before", "number", 10),
    Column("ordered_quantity", "Ordered", "number", 10),
    Column("received_quantity", "Received", "number", 10),
    Column("unit_price", "Unit price", "number", 12),
    Column("po_unit_price", "PO unit price", "number", 12),
)
SHEETS: dict[str, tuple[Column, ...]] = {
    "invoices": INVOICE_COLUMNS,
    "lines": LINE_COLUMNS,
    "matches": MATCH_COLUMNS,
    "exceptions": EXCEPTION_COLUMNS,
}
# xero_bills: the bill import file of ``bills_export`` (one row per invoice line).
ExportFormat = Literal["csv", "xlsx", "json", "xero_bills"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "xero_bills": "text/csv; charset=utf-8",
}


@dataclass
class ExportBundle:
    """Rows to export; each row is a mapping keyed by the column keys above."""

    invoices: list[Mapping[str, Any]] = field(default_factory=list)
    lines: list[Mapping[str, Any]] = field(default_factory=list)
    matches: list[Mapping[str, Any]] = field(default_factory=list)
    exceptions: list[Mapping[str, Any]] = field(default_factory=list)

    def sheet(self, name: str) -> list[Mapping[str, Any]]:
        """Rows of one sheet by name."""
        return {
            "invoices": self.invoices,
            "lines": self.lines,
            "matches": self.matches,
            "exceptions": self.exceptions,
        }[name]


def neutralise(value: str) -> str:
    """Prefix a formula-looking text with ``'`` so spreadsheets show it as text."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    return value


def _csv_cell(value: Any, kind: Kind) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return str(value)  # typed numbers are not formulas, even when negative
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column] = INVOICE_COLUMNS) -> bytes:
    """CSV (UTF-8 with BOM so Excel picks the encoding, header row first)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(c.key), c.kind) for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _as_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_datetime(value: Any) -> dt.datetime | dt.date | None:
    if isinstance(value, dt.datetime):
        # xlsx has no time zones; store UTC wall time.
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def to_xlsx(bundle: ExportBundle) -> bytes:
    """A workbook with sheets invoices, lines, matches and exceptions; bold frozen header."""
    out = io.BytesIO()
    # Never turn strings into formulas or links: the content is untrusted.
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    wb = xlsxwriter.Workbook(out, options)
    fmt = {
        "header": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1}),
        "number": wb.add_format({"num_format": "#,##0.00"}),
        "integer": wb.add_format({"num_format": "0"}),
        "percent": wb.add_format({"num_format": "0.0%"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    for name, columns in SHEETS.items():
        ws = wb.add_worksheet(name)
        for col, c in enumerate(columns):
            ws.write_string(0, col, c.header, fmt["header"])
            ws.set_column(col, col, c.width)
        ws.freeze_panes(1, 0)
        rows = bundle.sheet(name)
        for r, row in enumerate(rows, start=1):
            for col, c in enumerate(columns):
                _write_cell(ws, r, col, _plain(row.get(c.key)), c.kind, fmt)
        if rows:
            ws.autofilter(0, 0, len(rows), len(columns) - 1)
    wb.close()
    return out.getvalue()


def _write_cell(ws: Any, r: int, col: int, value: Any, kind: Kind, fmt: dict[str, Any]) -> None:
    if value is None or value == "":
        return
    if kind in ("number", "integer", "percent"):
        number = _as_number(value)
        if number is not None:
            ws.write_number(r, col, number, fmt[kind])
            return
    elif kind in ("date", "datetime"):
        when = _as_datetime(value)
        if when is not None:
            ws.write_datetime(r, col, when, fmt[kind])
            return
    ws.write_string(r, col, neutralise(str(value)))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return str(value)


def to_json(bundle: ExportBundle) -> bytes:
    """JSON object with the four row lists; amounts as decimal strings, dates ISO 8601."""
    doc = {
        "invoices": [dict(r) for r in bundle.invoices],
        "lines": [dict(r) for r in bundle.lines],
        "matches": [dict(r) for r in bundle.matches],
        "exceptions": [dict(r) for r in bundle.exceptions],
    }
    return json.dumps(doc, default=_json_default, ensure_ascii=False, indent=1).encode("utf-8")


def render(bundle: ExportBundle, fmt: ExportFormat, *, sheet: str = "invoices") -> bytes:
    """Render the bundle in one format; CSV holds one sheet (``invoices`` by default)."""
    if fmt == "csv":
        return to_csv(bundle.sheet(sheet), SHEETS[sheet])
    if fmt == "xlsx":
        return to_xlsx(bundle)
    return to_json(bundle)
