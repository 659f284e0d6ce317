"""The canonical extraction schema: what every extractor returns, whatever read the document.

Amounts are ``Decimal``; dates are ``datetime.date`` (ISO in JSON); currency is an ISO 4217 code
and is never defaulted: when the document does not show one, ``currency.value`` is ``None`` and
confidence drops. Every header field carries its own confidence and evidence (page and source
text), so reviewers can see why a value is what it is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

SCHEMA_VERSION = "1"


class DocumentType(str, Enum):
    invoice = "invoice"
    credit_note = "credit_note"


class Evidence(BaseModel):
    """Where a value came from: 1-based page (None for XML) and the source text it was read from."""

    model_config = ConfigDict(frozen=True)

    page: int | None = None
    text: str = ""
    bbox: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 in PDF points
    # For values chosen among scored candidates (the vendor name): the signals that won,
    # e.g. ("top-line-1", "legal-form-PL", "next-to-tax-id").
    signals: tuple[str, ...] = ()


class ExtractedField(BaseModel, Generic[T]):
    """One extracted value with its confidence (0-1) and evidence."""

    value: T | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    evidence: Evidence | None = None

    @property
    def present(self) -> bool:
        return self.value is not None and self.value != ""


class TaxLine(BaseModel):
    """One VAT rate of the tax breakdown."""

    rate: Decimal | None = None  # percent, e.g. Decimal("19")
    base: Decimal | None = None
    amount: Decimal | None = None
    category: str | None = None


class LineItem(BaseModel):
    """One invoice line; confidence and evidence are per line."""

    description: str | None = None
    product_code: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None
    amount: Decimal | None = None
    # Line-level allowances and charges (net): amount = quantity x unit_price - allowance + charge.
    allowance: Decimal | None = None
    charge: Decimal | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    evidence: Evidence | None = None


class TokenUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class LayoutSegment(BaseModel):
    """One segment of a page (a run of words on a line between column gaps), its box as shares
    of the page (x0, y0, x1, y1 in 0-1, top-left origin). Kept so that per-vendor extraction
    hints (``core.extraction.hints``) can be learned from a correction without reading the file
    again, for text layers and OCR alike."""

    model_config = ConfigDict(frozen=True)

    page: int
    line: int
    box: tuple[float, float, float, float]
    text: str


# Header field names in schema order; the benchmark and export code iterate over these.
HEADER_FIELDS: tuple[str, ...] = (
    "vendor_name",
    "vendor_address",
    "vendor_vat_id",
    "vendor_iban",
    "customer_name",
    "customer_vat_id",
    "invoice_number",
    "po_number",
    "document_type",
    "document_type_code",
    "invoice_date",
    "due_date",
    "payment_terms",
    "currency",
    "line_total",
    "subtotal",
    "tax",
    "total",
    "amount_due",
)
AMOUNT_FIELDS = frozenset({"line_total", "subtotal", "tax", "total", "amount_due"})
DATE_FIELDS = frozenset({"invoice_date", "due_date"})


class Extraction(BaseModel):
    """The result of reading one document."""

    vendor_name: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    vendor_address: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    vendor_vat_id: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    vendor_iban: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    customer_name: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    customer_vat_id: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    invoice_number: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    po_number: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    document_type: ExtractedField[DocumentType] = Field(
        default_factory=ExtractedField[DocumentType]
    )
    # UNTDID 1001 code as the e-invoice standards use it: 380 invoice, 381 credit note,
    # 384 corrected invoice, 389 self-billed, 875/876 partial... (BT-3).
    document_type_code: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    invoice_date: ExtractedField[dt.date] = Field(default_factory=ExtractedField[dt.date])
    due_date: ExtractedField[dt.date] = Field(default_factory=ExtractedField[dt.date])
    payment_terms: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    currency: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    # Sum of the line net amounts (BT-106), before document-level allowances and charges;
    # ``subtotal`` is the tax basis after them (BT-109).
    line_total: ExtractedField[Decimal] = Field(default_factory=ExtractedField[Decimal])
    subtotal: ExtractedField[Decimal] = Field(default_factory=ExtractedField[Decimal])
    tax: ExtractedField[Decimal] = Field(default_factory=ExtractedField[Decimal])
    total: ExtractedField[Decimal] = Field(default_factory=ExtractedField[Decimal])
    amount_due: ExtractedField[Decimal] = Field(default_factory=ExtractedField[Decimal])

    tax_breakdown: list[TaxLine] = Field(default_factory=list)
    line_items: list[LineItem] = Field(default_factory=list)

    # The document's language (ISO 639-1) and country (ISO 3166-1 alpha-2), read from its text;
    # the evidence says why (tax id, currency, phone prefix, legal form, frequent words).
    language: ExtractedField[str] = Field(default_factory=ExtractedField[str])
    country: ExtractedField[str] = Field(default_factory=ExtractedField[str])

    # The page layout (segments), for learning per-vendor hints; empty for XML and old results.
    layout: list[LayoutSegment] = Field(default_factory=list)

    # Provenance.
    extractor: str = ""  # e.g. "offline", "openai", "einvoice"
    extractor_version: str = ""
    model: str | None = None
    prompt_version: str | None = None
    token_usage: TokenUsage | None = None
    source: str = ""  # "text_layer" | "ocr" | "einvoice_xml" | "llm_text" | "llm_vision"
    page_count: int = 0
    warnings: list[str] = Field(default_factory=list)
    fallback_reason: str | None = None  # set when the LLM failed and offline was used instead
    schema_version: str = SCHEMA_VERSION

    def field(self, name: str) -> ExtractedField[Any]:
        if name not in HEADER_FIELDS:
            raise KeyError(name)
        return getattr(self, name)  # type: ignore[no-any-return]

    @property
    def overall_confidence(self) -> float:
        """Mean confidence over the fields that matter most for paying an invoice."""
        key = ("vendor_name", "invoice_number", "invoice_date", "currency", "total")
        return round(sum(self.field(n).confidence for n in key) / len(key), 4)

    def to_flat_fields(self) -> dict[str, Any]:
        """Plain values as the benchmark contract names them (amounts/dates as strings)."""
        out: dict[str, Any] = {}
        for name in HEADER_FIELDS:
            value = self.field(name).value
            if value is None or value == "":
                continue
            if isinstance(value, Decimal):
                out[name] = f"{value:.2f}"
            elif isinstance(value, dt.date):
                out[name] = value.isoformat()
            elif isinstance(value, Enum):
                out[name] = value.value
            else:
                out[name] = value
        if self.line_items:
            out["line_items"] = [
                {
                    k: (str(v) if isinstance(v, Decimal) else v)
                    for k, v in item.model_dump(exclude={"confidence", "evidence"}).items()
                    if v is not None
                }
                for item in self.line_items
            ]
        return out

    def confidences(self) -> dict[str, float]:
        return {
            name: self.field(name).confidence for name in HEADER_FIELDS if self.field(name).present
        }
