"""Typed, frozen records: what the repositories return, and each read's one column source.

The schema is defined by ``supabase/migrations`` only. For reading, each record below IS the
column list: the repositories build their ``select`` lists from the record's fields
(``columns``), so a column is named once in Python. Columns that come from a join or an
expression are given in the record's ``_computed`` mapping. Adding a column to a read is one
field here (plus the migration); ``tests/integration/db/test_records.py`` checks every field
against the migrated database.

Records are plain frozen dataclasses: the API turns them into its response models
(``from_attributes``), the console into table rows (``as_dict``), the exports into sheet rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")
JSON = dict[str, Any]  # a jsonb object as the driver returns it (third-party data: Any stops here)


@dataclass(frozen=True, slots=True)
class Record:
    """Base of every record: built from a result row, read as attributes, dumped as a dict."""

    _table: ClassVar[str] = ""  # the alias the select lists use (e.g. ``i`` for invoices)
    _computed: ClassVar[Mapping[str, str]] = {}  # field -> SQL expression (joins, casts)
    _filled: ClassVar[frozenset[str]] = frozenset()  # fields the repository fills, not selected

    @classmethod
    def from_row(cls: type[R], row: Mapping[Any, Any]) -> R:
        """The record of one result row (extra keys are ignored, missing optional ones default)."""
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        return cls(**{k: v for k, v in row.items() if k in names})

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (one level: nested records stay records)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def field_names(cls: type[Record], *, stored_only: bool = False) -> tuple[str, ...]:
    """The record's field names, in order (``stored_only``: only its table's own columns)."""
    names = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    if stored_only:
        return tuple(n for n in names if n not in cls._computed and n not in cls._filled)
    return names


def columns(cls: type[Record], *, alias: str | None = None) -> str:
    """The select list of ``cls``: ``alias.column`` per stored field, ``expr as name`` else."""
    prefix = f"{alias or cls._table}." if (alias or cls._table) else ""
    parts = [
        f"{cls._computed[name]} as {name}" if name in cls._computed else f"{prefix}{name}"
        for name in field_names(cls)
        if name not in cls._filled
    ]
    return ", ".join(parts)


# Invoices and what hangs off them ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Invoice(Record):
    """One invoice as users read it (``public.invoices`` plus its file name and matched vendor)."""

    _table: ClassVar[str] = "i"
    _computed: ClassVar[Mapping[str, str]] = {
        "file_name": "f.original_name",
        "matched_vendor_name": "v.name",
    }

    id: uuid.UUID
    client_id: uuid.UUID
    file_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    status: str
    failure_reason: str | None
    vendor_name: str | None
    vendor_vat_id: str | None
    vendor_iban: str | None
    customer_name: str | None
    customer_vat_id: str | None
    invoice_number: str | None
    po_number: str | None
    document_type: str | None
    invoice_date: dt.date | None
    due_date: dt.date | None
    currency: str | None
    line_total: Decimal | None
    subtotal: Decimal | None
    tax: Decimal | None
    total: Decimal | None
    amount_due: Decimal | None
    payment_reference: str | None
    extractor: str | None
    extractor_version: str | None
    model: str | None
    prompt_version: str | None
    confidence: Decimal | None
    vendor_id: uuid.UUID | None
    purchase_order_id: uuid.UUID | None
    match_band: str | None
    match_score: Decimal | None
    reviewed_by: uuid.UUID | None
    reviewed_at: dt.datetime | None
    created_by: uuid.UUID | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    file_name: str | None = None
    matched_vendor_name: str | None = None


# Header fields a reviewer may correct (through ``public.invoice_correct``'s registry): the one
# list the workflow's validation, the API's update schema and the console's form agree on.
CORRECTABLE_FIELDS: tuple[str, ...] = (
    "vendor_name", "vendor_vat_id", "vendor_iban", "customer_name", "customer_vat_id",
    "invoice_number", "po_number", "document_type", "invoice_date", "due_date", "currency",
    "line_total", "subtotal", "tax", "total", "amount_due", "payment_reference",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class InvoiceLine(Record):
    """One line item (``public.invoice_lines``) with its invoice's number."""

    _table: ClassVar[str] = "l"
    _computed: ClassVar[Mapping[str, str]] = {"invoice_number": "i.invoice_number"}

    id: uuid.UUID
    client_id: uuid.UUID
    invoice_id: uuid.UUID
    line_no: int
    description: str | None
    product_code: str | None
    quantity: Decimal | None
    unit: str | None
    unit_price: Decimal | None
    amount: Decimal | None
    tax_rate: Decimal | None
    allowance: Decimal | None  # line-level allowances (net), counted in the line arithmetic
    charge: Decimal | None  # line-level charges (net)
    created_at: dt.datetime
    invoice_number: str | None = None


@dataclass(frozen=True, slots=True)
class Match(Record):
    """A proposed or decided match (``public.matches``) with the target's display name.

    ``score`` (and each candidate's) is on the matcher's 0-100 scale, as everywhere."""

    _table: ClassVar[str] = "m"
    _computed: ClassVar[Mapping[str, str]] = {
        "invoice_number": "i.invoice_number",
        "target_name": "coalesce(v.name, po.po_number, d.invoice_number)",
    }

    id: uuid.UUID
    client_id: uuid.UUID
    invoice_id: uuid.UUID
    kind: str
    vendor_id: uuid.UUID | None
    purchase_order_id: uuid.UUID | None
    duplicate_of_invoice_id: uuid.UUID | None
    score: Decimal | None
    band: str
    reason: str
    profile_version: int | None
    status: str
    decided_by: uuid.UUID | None
    decided_at: dt.datetime | None
    candidates: list[JSON]
    created_at: dt.datetime
    updated_at: dt.datetime
    invoice_number: str | None = None
    target_name: str | None = None


@dataclass(frozen=True, slots=True)
class MatchException(Record):
    """One purchase-order match exception (``public.match_exceptions``), written by the doors.

    ``code`` is a stable ``core.matching.exceptions.ExceptionCode`` value (``po.*`` for the
    order as a whole, ``line.*`` for invoice line ``line_no``); ``reason`` says it with the
    figures. Quantities and prices are the invoice line's and the PO line's, ``received_quantity``
    what the goods receipts say arrived (null in a 2-way match), ``billed_before`` what earlier
    invoices (and earlier lines of this one) billed against the same PO line."""

    _table: ClassVar[str] = "x"
    _computed: ClassVar[Mapping[str, str]] = {
        "invoice_number": "i.invoice_number",
        "po_number": "po.po_number",
    }

    id: uuid.UUID
    client_id: uuid.UUID
    invoice_id: uuid.UUID
    purchase_order_id: uuid.UUID | None
    code: str
    mode: str | None
    line_no: int | None
    po_line_no: int | None
    quantity: Decimal | None
    unit_price: Decimal | None
    ordered_quantity: Decimal | None
    received_quantity: Decimal | None
    billed_before: Decimal | None
    po_unit_price: Decimal | None
    reason: str
    profile_version: int | None
    created_at: dt.datetime
    invoice_number: str | None = None
    po_number: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceDetail(Invoice):
    """An invoice with its lines, matches and PO match exceptions (the detail view)."""

    lines: tuple[InvoiceLine, ...] = ()
    matches: tuple[Match, ...] = ()
    exceptions: tuple[MatchException, ...] = ()


@dataclass(frozen=True, slots=True)
class ApprovalReason(Record):
    """One thing that speaks against approving an invoice (``public.approval_reasons``).

    ``code`` is stable (``vendor.unknown``, ``match.undecided``, ``duplicate.possible``,
    ``check.<name>``, ``line.<exception>``), ``message`` says it in plain words, ``fields`` names
    the invoice fields (or ``lines``) it is about, ``blocking`` whether the client's approval
    policy blocks an approval on it."""

    code: str
    message: str
    fields: tuple[str, ...]
    detail: JSON
    blocking: bool


@dataclass(frozen=True, slots=True)
class ApprovalPolicyVersion(Record):
    """One stored version of a client's approval policy (``policy``: ``ApprovalPolicy`` as JSON)."""

    _table: ClassVar[str] = "p"

    id: uuid.UUID
    client_id: uuid.UUID
    version: int
    name: str
    policy: JSON
    is_active: bool
    notes: str | None
    created_by: uuid.UUID | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditEvent(Record):
    """One audit event (``public.audit_events``), written by doors and triggers only."""

    _table: ClassVar[str] = "a"

    id: int
    client_id: uuid.UUID
    invoice_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    action: str
    before: JSON | None
    after: JSON | None
    meta: JSON
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReviewItem(Record):
    """An invoice in the review queue, with what makes it urgent."""

    _table: ClassVar[str] = "i"
    _computed: ClassVar[Mapping[str, str]] = {"file_name": "f.original_name"}

    id: uuid.UUID
    status: str
    vendor_name: str | None
    invoice_number: str | None
    invoice_date: dt.date | None
    currency: str | None
    total: Decimal | None
    confidence: Decimal | None
    match_band: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    file_name: str | None
    possible_duplicate: bool
    failed_checks: int
    review_reason: str = ""


@dataclass(frozen=True, slots=True)
class DuplicateCandidate(Record):
    """Another live invoice of the client whose number may be the same (the workflow decides)."""

    _table: ClassVar[str] = "i"

    id: uuid.UUID
    invoice_number: str | None
    vendor_id: uuid.UUID | None
    vendor_name: str | None
    vendor_vat_id: str | None
    vendor_iban: str | None
    currency: str | None
    total: Decimal | None
    status: str
    invoice_date: dt.date | None = None


# Reference data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vendor(Record):
    """A vendor of a client's vendor master, as listed (``external_id`` as ``vendor_code``)."""

    _table: ClassVar[str] = "v"
    _computed: ClassVar[Mapping[str, str]] = {"vendor_code": "v.external_id"}

    id: uuid.UUID
    client_id: uuid.UUID
    vendor_code: str | None
    name: str
    vat_id: str | None
    iban: str | None
    address: str | None
    country: str | None
    email: str | None
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class VendorAlias(Record):
    """An entry of the alias store (``public.vendor_aliases``) with its vendor's master name."""

    _table: ClassVar[str] = "a"
    _computed: ClassVar[Mapping[str, str]] = {"vendor_name": "v.name"}

    id: uuid.UUID
    client_id: uuid.UUID
    vendor_id: uuid.UUID
    kind: str
    value: str
    normalized: str
    source: str
    created_by: uuid.UUID | None
    learned_from: str | None
    source_invoice_id: uuid.UUID | None
    created_at: dt.datetime
    vendor_name: str | None = None


@dataclass(frozen=True, slots=True)
class VendorHint(Record):
    """A per-vendor extraction hint (``public.vendor_extraction_hints``) with its vendor's name."""

    _table: ClassVar[str] = "h"
    _computed: ClassVar[Mapping[str, str]] = {"vendor_name": "v.name"}

    id: uuid.UUID
    client_id: uuid.UUID
    vendor_id: uuid.UUID
    field: str
    anchor: str
    direction: str
    page: int
    region: list[Decimal]
    token_start: int
    token_count: int
    day_first: bool | None
    weight: Decimal
    agreements: int
    contradictions: int
    source_invoice_id: uuid.UUID | None
    created_by: uuid.UUID | None
    learned_from: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    vendor_name: str | None = None


@dataclass(frozen=True, slots=True)
class VendorTrust(Record):
    """A vendor's trust-ladder state (``public.vendor_trust``; vendors without one: streak 0)."""

    _table: ClassVar[str] = "v"
    _computed: ClassVar[Mapping[str, str]] = {
        "vendor_id": "v.id",
        "vendor_name": "v.name",
        "clean_streak": "coalesce(t.clean_streak, 0)",
        "paused": "coalesce(t.paused, false)",
        "paused_by": "t.paused_by",
        "paused_at": "t.paused_at",
        "last_reset_action": "t.last_reset_action",
        "last_reset_invoice_id": "t.last_reset_invoice_id",
        "last_reset_at": "t.last_reset_at",
    }

    client_id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_name: str
    clean_streak: int
    paused: bool
    paused_by: uuid.UUID | None
    paused_at: dt.datetime | None
    last_reset_action: str | None
    last_reset_invoice_id: uuid.UUID | None
    last_reset_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class AutoApprovalReason(Record):
    """One failed condition of straight-through approval (``public.auto_approval_reasons``)."""

    code: str
    message: str
    detail: JSON


@dataclass(frozen=True, slots=True)
class PurchaseOrder(Record):
    """A purchase order as listed, with its vendor's name and its number of lines."""

    _table: ClassVar[str] = "po"
    _computed: ClassVar[Mapping[str, str]] = {
        "vendor_name": "v.name",
        "line_count": "(select count(*) from public.purchase_order_lines l"
        " where l.purchase_order_id = po.id)",
    }

    id: uuid.UUID
    client_id: uuid.UUID
    po_number: str
    vendor_id: uuid.UUID | None
    vendor_name: str | None
    status: str
    order_date: dt.date | None
    currency: str
    total: Decimal | None
    created_at: dt.datetime
    line_count: int


@dataclass(frozen=True, slots=True)
class GoodsReceipt(Record):
    """A goods receipt as listed, with its PO number and line figures."""

    id: uuid.UUID
    client_id: uuid.UUID
    receipt_number: str
    purchase_order_id: uuid.UUID
    po_number: str
    received_on: dt.date | None
    created_at: dt.datetime
    line_count: int
    unlinked_line_count: int
    quantity_total: Decimal | None


@dataclass(frozen=True, slots=True)
class MatchProfileVersion(Record):
    """One stored version of a client's match profile (``profile``: ``MatchProfile`` as JSON)."""

    _table: ClassVar[str] = "p"

    id: uuid.UUID
    client_id: uuid.UUID
    version: int
    name: str
    profile: JSON
    is_active: bool
    notes: str | None
    created_by: uuid.UUID | None
    created_at: dt.datetime


# Files, batches, tenancy ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class File(Record):
    """A stored file's reference (``public.files``); the bytes are the file store's."""

    _table: ClassVar[str] = "f"

    id: uuid.UUID
    client_id: uuid.UUID
    bucket: str
    object_key: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: uuid.UUID | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Batch(Record):
    """An upload batch (``public.batches``); ``counts``: its invoices per status, when loaded."""

    _table: ClassVar[str] = "b"
    _filled: ClassVar[frozenset[str]] = frozenset({"counts"})

    id: uuid.UUID
    client_id: uuid.UUID
    name: str | None
    file_count: int
    status: str
    created_by: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Client(Record):
    """A client (tenant) with the caller's role in it (None when the caller is not a member)."""

    _table: ClassVar[str] = "c"
    _computed: ClassVar[Mapping[str, str]] = {"role": "m.role::text"}

    id: uuid.UUID
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Invitation(Record):
    """An invitation as its client's owners see it (never the invitee's user id)."""

    id: uuid.UUID
    client_id: uuid.UUID
    email: str
    role: str
    status: str  # pending, accepted, declined, revoked or expired (derived from the timestamps)
    expires_at: dt.datetime
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    declined_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ReceivedInvitation(Record):
    """An open invitation sent to the caller's verified address, with the client's name."""

    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    role: str
    expires_at: dt.datetime
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Member(Record):
    """A membership (``public.client_members``)."""

    _table: ClassVar[str] = "m"
    _computed: ClassVar[Mapping[str, str]] = {"role": "m.role::text"}

    client_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    created_at: dt.datetime
    updated_at: dt.datetime
