"""ORM models (SQLAlchemy 2.x typed mappings) of the tables created by ``supabase/migrations``."""

from core.db.models.audit import AuditEvent
from core.db.models.base import Base
from core.db.models.documents import Batch, ExtractionCacheEntry, File, Invoice, InvoiceLine
from core.db.models.matching import Match, MatchProfileRow
from core.db.models.purchasing import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    VendorAlias,
)
from core.db.models.storage import StorageBucket, StorageObject
from core.db.models.tenancy import Client, ClientInvitation, ClientMember, MemberRole

__all__ = [
    "AuditEvent",
    "Base",
    "Batch",
    "Client",
    "ClientInvitation",
    "ClientMember",
    "ExtractionCacheEntry",
    "File",
    "GoodsReceipt",
    "GoodsReceiptLine",
    "Invoice",
    "InvoiceLine",
    "Match",
    "MatchProfileRow",
    "MemberRole",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "StorageBucket",
    "StorageObject",
    "Vendor",
    "VendorAlias",
]
