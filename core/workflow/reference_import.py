"""Parse reference data (vendors, purchase orders with lines, goods receipts) from CSV or XLSX.

Row-level validation: every malformed row is reported with its 1-based row number in the file
(the header is row 1) and the field at fault, while the valid rows are kept.

Vendors may carry alternate names (former names, trading names): an ``aliases`` column (also
``former_names``, ``alternate_names``, ``other_names``, ``aka``) with names separated by ``|``
or ``;``, and/or, in a workbook, a second sheet of ``vendor`` (code or name, as in the first
sheet), ``alias`` and optional ``kind`` (``name``, ``vat_id``, ``iban``) rows. Encoding (BOM,
UTF-8, Windows-1252) and delimiter (``,`` ``;`` tab ``|``) are sniffed; sizes are bounded.
Nothing here touches the database: ``core.workflow.reference`` stores what this returns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from core.errors import TooLarge, UnsupportedType, ValidationFailed
from core.extraction.limits import check_zip
from core.matching.aliases import split_names

Kind = Literal["vendors", "purchase_orders", "goods_receipts"]
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
_SPACE = re.compile(r"[\s\-./]+")


def parse_decimal(value: Any) -> Decimal | None:
    """Parse ``1234.5``, ``1,234.50``, ``1.234,50`` or ``1234,5`` into a Decimal; blank -> None."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not text:
        return None
    if "," in text and "." in text:
        # Whichever separator comes last is the decimal one.
        text = (
            text.replace(",", "")
            if text.rfind(".") > text.rfind(",")
            else text.replace(".", "").replace(",", ".")
        )
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = (
            text.replace(",", "")
            if len(tail) == 3 and head.lstrip("-").isdigit()
            else text.replace(",", ".")
        )
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return number


def parse_date(value: Any) -> dt.date | None:
    """Parse ISO ``2024-03-31``, ``31.03.2024`` or a spreadsheet date; blank -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"not a date (use YYYY-MM-DD or DD.MM.YYYY): {value!r}")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


OptDecimal = Annotated[Decimal | None, BeforeValidator(lambda v: parse_decimal(_blank_to_none(v)))]
OptDate = Annotated[dt.date | None, BeforeValidator(lambda v: parse_date(_blank_to_none(v)))]


class _Row(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore", coerce_numbers_to_str=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)


class VendorRow(_Row):
    """One vendor of the client's vendor master."""

    name: str = Field(min_length=1, max_length=300)
    vendor_code: str | None = Field(default=None, max_length=100)
    vat_id: str | None = Field(default=None, max_length=40)
    iban: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    country: str | None = Field(default=None, max_length=2)
    email: str | None = Field(default=None, max_length=300)
    aliases: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=50
    )

    @field_validator("aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value: Any) -> list[str]:
        return split_names(value)

    @field_validator("vat_id", "iban")
    @classmethod
    def _compact(cls, value: str | None) -> str | None:
        return None if value is None else re.sub(r"\s+", "", value).upper()

    @field_validator("iban")
    @classmethod
    def _iban_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", value):
            raise ValueError("IBAN must be 2 letters, 2 digits and 10-30 letters/digits")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else value.upper()


class PurchaseOrderRow(_Row):
    """One line of a purchase order; header columns repeat on every line of the same PO."""

    po_number: str = Field(min_length=1, max_length=100)
    vendor: str | None = Field(default=None, max_length=300)  # vendor code or name
    order_date: OptDate = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    line_no: int | None = Field(default=None, ge=1, le=100_000)
    description: str | None = Field(default=None, max_length=1000)
    product_code: str | None = Field(default=None, max_length=100)
    quantity: OptDecimal = None
    unit_price: OptDecimal = None
    amount: OptDecimal = None
    total: OptDecimal = None

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) and value.strip() else None


class GoodsReceiptRow(_Row):
    """One received quantity against a purchase-order line."""

    receipt_number: str = Field(min_length=1, max_length=100)
    po_number: str = Field(min_length=1, max_length=100)
    received_date: OptDate = None
    line_no: int | None = Field(default=None, ge=1, le=100_000)
    product_code: str | None = Field(default=None, max_length=100)
    quantity: Annotated[Decimal, BeforeValidator(parse_decimal)]


class AliasRow(_Row):
    """One alternate name, VAT id or IBAN of a vendor (the second sheet of a vendor workbook)."""

    vendor: str = Field(min_length=1, max_length=300)  # vendor code or name
    alias: str = Field(min_length=1, max_length=300)
    kind: Literal["name", "vat_id", "iban"] = "name"

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        return value.strip().lower().replace(" ", "_") if isinstance(value, str) else value


ROW_MODELS: dict[str, type[_Row]] = {
    "vendors": VendorRow,
    "purchase_orders": PurchaseOrderRow,
    "goods_receipts": GoodsReceiptRow,
}
# Header spellings people use -> our field name (after lower-casing and _ for separators).
ALIASES: dict[str, str] = {
    "vendor_name": "name",
    "supplier": "name",
    "supplier_name": "name",
    "company": "name",
    "vat": "vat_id",
    "vat_number": "vat_id",
    "tax_id": "vat_id",
    "ust_id": "vat_id",
    "vatid": "vat_id",
    "code": "vendor_code",
    "vendor_id": "vendor_code",
    "supplier_id": "vendor_code",
    "vendor_no": "vendor_code",
    "po": "po_number",
    "po_no": "po_number",
    "purchase_order": "po_number",
    "order_number": "po_number",
    "vendor_code_or_name": "vendor",
    "supplier_code": "vendor",
    "date": "order_date",
    "po_date": "order_date",
    "line": "line_no",
    "line_number": "line_no",
    "position": "line_no",
    "qty": "quantity",
    "price": "unit_price",
    "line_amount": "amount",
    "line_total": "amount",
    "po_total": "total",
    "sku": "product_code",
    "item": "product_code",
    "article": "product_code",
    "receipt": "receipt_number",
    "gr_number": "receipt_number",
    "receipt_no": "receipt_number",
    "receipt_date": "received_date",
    "gr_date": "received_date",
    "qty_received": "quantity",
    "quantity_received": "quantity",
    "former_names": "aliases",
    "former_name": "aliases",
    "alternate_names": "aliases",
    "other_names": "aliases",
    "aka": "aliases",
    "alias": "aliases",
    "alias_names": "aliases",
}
# Header spellings of the alias sheet.
ALIAS_SHEET_ALIASES: dict[str, str] = {
    "vendor_code": "vendor",
    "code": "vendor",
    "vendor_name": "vendor",
    "name": "vendor",
    "supplier": "vendor",
    "aliases": "alias",
    "former_name": "alias",
    "alternate_name": "alias",
    "other_name": "alias",
    "value": "alias",
    "type": "kind",
}


@dataclass(frozen=True)
class RowError:
    """One rejected row: 1-based row number in the file (header = 1), field and message."""

    row: int
    field: str | None
    message: str


@dataclass
class ImportResult:
    """Valid rows (as row models) and the errors of the rejected ones."""

    kind: str
    rows: list[Any] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    aliases: list[AliasRow] = field(default_factory=list)  # second sheet of a vendor workbook
    alias_rows: list[int] = field(default_factory=list)


def _header_key(name: Any, kind: str) -> str:
    key = _SPACE.sub("_", str(name or "").strip().lower()).strip("_")
    key = key.lstrip("\ufeff")
    if kind == "vendors" and key == "vendor":
        return "name"
    if kind == "goods_receipts" and key == "date":
        return "received_date"
    return ALIASES.get(key, key)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as cp1252; latin-1 would silently garble the euro sign.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ValidationFailed("the file is neither UTF-8 nor Windows-1252 text") from exc


@dataclass(frozen=True)
class _BadRecord:
    """A CSV record the csv module could not read (e.g. a field over its size limit)."""

    message: str


_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024
_SNIFF_RECORDS = 50


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits a sample of rows (not the header alone) most consistently.

    Every candidate parses the sample as Excel writes CSV (quotes doubled inside quoted fields);
    the winner gives the header more than one column and the most rows of the header's width.
    """
    sample = text[:_SNIFF_BYTES]
    if len(text) > _SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # whole lines only
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), csv.excel, delimiter=delimiter)
        widths: list[int] = []
        try:
            for record in reader:
                widths.append(len(record))
                if len(widths) >= _SNIFF_RECORDS:
                    break
        except csv.Error:
            pass  # judge on the records read so far
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths[1:]), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(data: bytes) -> Iterator[list[Any] | _BadRecord]:
    text = _decode(data)
    if "\x00" in text:
        raise UnsupportedType("the file contains binary data, not CSV text")
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_sniff_delimiter(text))
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader starts afresh on the next line, so one bad record costs only itself.
            if "field larger than field limit" in str(exc):
                limit = csv.field_size_limit()
                yield _BadRecord(f"a field is too large (the limit is {limit} characters)")
            else:
                yield _BadRecord(f"the row is not valid CSV ({exc})")
            continue
        yield record


def _xlsx_rows(data: bytes, sheet: int = 0) -> Iterator[list[Any]]:
    import openpyxl  # local: only imported when a workbook is uploaded

    # The sizes and ratios of every member are checked from the zip directory first: openpyxl
    # loads all shared strings into memory, so a small bomb would otherwise cost gigabytes.
    check_zip(data)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken zip or XML
        raise ValidationFailed(
            "the workbook cannot be read (corrupt or not an .xlsx file)"
        ) from exc
    try:
        if sheet >= len(wb.worksheets):
            return
        ws = wb.worksheets[sheet]
        for values in ws.iter_rows(values_only=True):
            yield ["" if v is None else v for v in values]
    finally:
        wb.close()


def _alias_sheet(data: bytes, result: ImportResult, max_rows: int) -> None:
    """Read the alias rows of a vendor workbook's second sheet (if it has one) into ``result``."""
    rows = _xlsx_rows(data, sheet=1)
    header_row = next(rows, None)
    if not header_row or not any(str(h).strip() for h in header_row):
        return
    header = []
    for h in header_row:
        key = _SPACE.sub("_", str(h or "").strip().lower()).strip("_")
        header.append(ALIAS_SHEET_ALIASES.get(key, key))
    missing = [n for n in ("vendor", "alias") if n not in header]
    if missing:
        raise ValidationFailed(
            f"the alias sheet (second sheet) is missing column(s): {', '.join(missing)}",
            missing=missing,
            header=header,
        )
    for number, values in enumerate(rows, start=2):
        if not any(str(v).strip() for v in values):
            continue
        if len(result.aliases) + len(result.errors) > max_rows:
            raise TooLarge(f"the alias sheet has more than {max_rows} rows", limit=max_rows)
        record = {k: v for k, v in zip(header, values, strict=False) if k}
        try:
            result.aliases.append(AliasRow.model_validate(record))
            result.alias_rows.append(number)
        except ValidationError as exc:
            for err in exc.errors():
                loc = str(err["loc"][0]) if err["loc"] else None
                msg = str(err.get("ctx", {}).get("error") or err["msg"])
                result.errors.append(
                    RowError(row=number, field=f"aliases sheet: {loc}", message=msg)
                )


def sniff_table_format(data: bytes, filename: str | None = None) -> Literal["csv", "xlsx"]:
    """Tell XLSX (a zip) from CSV text by content; reject other binaries."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith((b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8")):
        raise UnsupportedType("reference data must be CSV or XLSX", filename=filename)
    return "csv"


def parse_reference_table(
    data: bytes,
    *,
    kind: Kind,
    filename: str | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> ImportResult:
    """Parse one CSV/XLSX file of ``kind``; invalid rows become ``errors``, the rest ``rows``."""
    if kind not in ROW_MODELS:
        raise ValidationFailed(f"unknown reference data kind {kind!r}")
    if len(data) > max_bytes:
        raise TooLarge(f"the file is larger than {max_bytes} bytes", limit=max_bytes)
    if not data.strip():
        raise ValidationFailed("the file is empty")
    fmt = sniff_table_format(data, filename)
    rows: Iterator[list[Any] | _BadRecord] = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)
    model = ROW_MODELS[kind]
    header_row = next(rows, None)
    if isinstance(header_row, _BadRecord):
        raise ValidationFailed(f"the header row cannot be read: {header_row.message}")
    if not header_row or not any(str(h).strip() for h in header_row):
        raise ValidationFailed("the file has no header row")
    header = [_header_key(h, kind) for h in header_row]
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    missing = [n for n in required if n not in header]
    if missing:
        raise ValidationFailed(
            f"missing required column(s): {', '.join(missing)}", missing=missing, header=header
        )
    result = ImportResult(kind=kind)
    for number, values in enumerate(rows, start=2):
        if not isinstance(values, _BadRecord) and not any(str(v).strip() for v in values):
            continue  # blank line
        result.total_rows += 1
        if result.total_rows > max_rows:
            raise TooLarge(f"the file has more than {max_rows} rows", limit=max_rows)
        if isinstance(values, _BadRecord):
            result.errors.append(RowError(row=number, field=None, message=values.message))
            continue
        record = {k: v for k, v in zip(header, values, strict=False) if k}
        try:
            result.rows.append(model.model_validate(record))
            result.row_numbers.append(number)
        except ValidationError as exc:
            for err in exc.errors():
                loc = str(err["loc"][0]) if err["loc"] else None
                msg = str(err.get("ctx", {}).get("error") or err["msg"])
                result.errors.append(RowError(row=number, field=loc, message=msg))
    if kind == "purchase_orders":
        _check_po_consistency(result)
    if kind == "vendors" and fmt == "xlsx":
        _alias_sheet(data, result, max_rows)
    return result


def _check_po_consistency(result: ImportResult) -> None:
    """Header values must agree across the lines of one PO; disagreeing lines are rejected."""
    first: dict[str, PurchaseOrderRow] = {}
    keep: list[tuple[int, Any]] = []
    for number, row in zip(result.row_numbers, result.rows, strict=True):
        ref = first.setdefault(row.po_number, row)
        clash = [
            f
            for f in ("vendor", "currency", "order_date")
            if getattr(row, f) is not None
            and getattr(ref, f) is not None
            and getattr(row, f) != getattr(ref, f)
        ]
        if clash:
            result.errors.append(
                RowError(number, clash[0], f"differs from the first line of PO {row.po_number}")
            )
        else:
            keep.append((number, row))
    result.row_numbers = [n for n, _ in keep]
    result.rows = [r for _, r in keep]
    result.errors.sort(key=lambda e: e.row)
