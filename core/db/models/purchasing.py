"""Vendor master, purchase orders and goods receipts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ARRAY, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.models.base import Base, created_at, current_user_id, updated_at, uuid_pk


class Vendor(Base):
    """A supplier in a client's vendor master."""

    __tablename__ = "vendors"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    external_id: Mapped[str | None]
    name: Mapped[str]
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    vat_id: Mapped[str | None]
    tax_id: Mapped[str | None]
    iban: Mapped[str | None]
    bic: Mapped[str | None]
    email: Mapped[str | None]
    address: Mapped[str | None]
    postal_code: Mapped[str | None]
    city: Mapped[str | None]
    country: Mapped[str | None]
    default_currency: Mapped[str | None]
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class VendorAlias(Base):
    """An alternate name, VAT id or IBAN of a vendor (the alias store; added or removed only)."""

    __tablename__ = "vendor_aliases"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    vendor_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(server_default=text("'name'"))
    value: Mapped[str]
    normalized: Mapped[str]
    source: Mapped[str] = mapped_column(server_default=text("'manual'"))
    created_by: Mapped[uuid.UUID | None] = current_user_id()
    created_at: Mapped[datetime] = created_at()


class PurchaseOrder(Base):
    """A purchase order (status open/closed)."""

    __tablename__ = "purchase_orders"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    vendor_id: Mapped[uuid.UUID | None]
    po_number: Mapped[str]
    status: Mapped[str] = mapped_column(server_default=text("'open'"))
    order_date: Mapped[date | None]
    currency: Mapped[str] = mapped_column(server_default=text("'EUR'"))
    total: Mapped[Decimal | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class PurchaseOrderLine(Base):
    """One line of a purchase order."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    purchase_order_id: Mapped[uuid.UUID]
    line_no: Mapped[int]
    description: Mapped[str | None]
    product_code: Mapped[str | None]
    quantity: Mapped[Decimal | None]
    unit: Mapped[str | None]
    unit_price: Mapped[Decimal | None]
    amount: Mapped[Decimal | None]
    created_at: Mapped[datetime] = created_at()


class GoodsReceipt(Base):
    """A delivery received against a purchase order."""

    __tablename__ = "goods_receipts"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    purchase_order_id: Mapped[uuid.UUID]
    receipt_number: Mapped[str]
    received_on: Mapped[date | None]
    created_at: Mapped[datetime] = created_at()


class GoodsReceiptLine(Base):
    """Quantity received for one purchase order line."""

    __tablename__ = "goods_receipt_lines"
    __table_args__ = {"schema": "public"}  # noqa: RUF012

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID]
    goods_receipt_id: Mapped[uuid.UUID]
    purchase_order_line_id: Mapped[uuid.UUID | None]
    line_no: Mapped[int]
    quantity: Mapped[Decimal]
    created_at: Mapped[datetime] = created_at()
