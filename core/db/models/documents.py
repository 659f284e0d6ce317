"""Upload batches, file references, invoices, their lines and the extraction cache."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models.base import Base, created_at, current_user_id, updated_at, uuid_pk


class Batch(Base):
    """One upload of several files (progress is counted over its invoices)."""

    __tablename__ = "batches"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    name: Mapped[str | None]
    file_count: Mapped[int] = mapped_column(server_default=text("0"))
    status: Mapped[str] = mapped_column(server_default=text("'open'"))
    created_by: Mapped[uuid.UUID | None] = current_user_id()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class File(Base):
    """A stored original: where it is (bucket/key) and what it is (name, type, size, SHA-256)."""

    __tablename__ = "files"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    bucket: Mapped[str] = mapped_column(server_default=text("'invoices'"))
    object_key: Mapped[str]
    original_name: Mapped[str]
    content_type: Mapped[str]
    size_bytes: Mapped[int]
    sha256: Mapped[str]
    uploaded_by: Mapped[uuid.UUID | None] = current_user_id()
    created_at: Mapped[datetime] = created_at()


class Invoice(Base):
    """An invoice: status, typed header fields, extraction provenance and matching outcome.

    ``version`` is bumped by a trigger on every update; the mapper uses it for optimistic locking
    (a stale update raises ``StaleDataError``, translated to ``Conflict`` by the sessions).
    """

    __tablename__ = "invoices"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    file_id: Mapped[uuid.UUID | None]
    batch_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(server_default=text("'received'"))
    failure_reason: Mapped[str | None]
    vendor_name: Mapped[str | None]
    vendor_vat_id: Mapped[str | None]
    vendor_iban: Mapped[str | None]
    customer_name: Mapped[str | None]
    customer_vat_id: Mapped[str | None]
    invoice_number: Mapped[str | None]
    po_number: Mapped[str | None]
    document_type: Mapped[str | None]
    invoice_date: Mapped[date | None]
    due_date: Mapped[date | None]
    currency: Mapped[str | None]
    subtotal: Mapped[Decimal | None]
    tax: Mapped[Decimal | None]
    total: Mapped[Decimal | None]
    amount_due: Mapped[Decimal | None]
    extraction: Mapped[dict[str, Any] | None]
    extractor: Mapped[str | None]
    extractor_version: Mapped[str | None]
    model: Mapped[str | None]
    prompt_version: Mapped[str | None]
    confidence: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    vendor_id: Mapped[uuid.UUID | None]
    purchase_order_id: Mapped[uuid.UUID | None]
    match_band: Mapped[str | None]
    match_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    reviewed_by: Mapped[uuid.UUID | None]
    reviewed_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = current_user_id()
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class InvoiceLine(Base):
    """One line item of an invoice."""

    __tablename__ = "invoice_lines"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    invoice_id: Mapped[uuid.UUID]
    line_no: Mapped[int]
    description: Mapped[str | None]
    product_code: Mapped[str | None]
    quantity: Mapped[Decimal | None]
    unit: Mapped[str | None]
    unit_price: Mapped[Decimal | None]
    amount: Mapped[Decimal | None]
    tax_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    created_at: Mapped[datetime] = created_at()


class ExtractionCacheEntry(Base):
    """A cached extraction keyed by file SHA-256 + extractor version + model."""

    __tablename__ = "extraction_cache"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    cache_key: Mapped[str]
    sha256: Mapped[str]
    extractor_version: Mapped[str]
    model: Mapped[str | None]
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = created_at()
