"""Request and response models of /api/v1 (``<Noun>Create / <Noun>Update / <Noun>Public``)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field

from core.matching.exceptions import ExceptionCode

T = TypeVar("T")
Role = Literal["owner", "operator", "analyst", "viewer"]
# No whitespace or control characters anywhere (a NUL byte must never reach a query).
Email = Annotated[
    str,
    Field(
        pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$", max_length=320
    ),
]


class Page(BaseModel, Generic[T]):
    """A page of results and the total count matching the query."""

    data: list[T]
    count: int = Field(examples=[1])


class InvoicePage(Page[T], Generic[T]):
    """A page of invoices; counts stop at 10,000 so a huge inbox stays fast."""

    count_is_estimate: bool = Field(
        default=False,
        description="true when more rows match than were counted: count is then a lower bound",
    )
    next_cursor: str | None = Field(
        default=None,
        description="pass as cursor= for the next page (sort=-created_at or created_at); "
        "null on the last page",
    )


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="ignore")


# Auth ---------------------------------------------------------------------------------------
class SignUpCreate(BaseModel):
    email: Email = Field(examples=["ada@example.com"])
    password: str = Field(min_length=1, max_length=200, examples=["correct horse battery staple"])


class SignInCreate(SignUpCreate):
    pass


class RefreshCreate(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=2000)


class UserPublic(_Public):
    id: uuid.UUID
    email: str | None = None
    role: str


class SignUpPublic(BaseModel):
    """What to do after signing up; the same for a new and an already registered address."""

    state: Literal["sign_in", "confirm_email"] = Field(
        description="sign_in: sign in now; confirm_email: follow the e-mailed link, then sign in"
    )
    message: str


class SessionPublic(BaseModel):
    """A token pair: send ``access_token`` as ``Authorization: Bearer``."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - a token kind, not a secret
    expires_at: int
    user: UserPublic


# Clients and members -------------------------------------------------------------------------
class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["ACME Holding"])


class ClientPublic(_Public):
    id: uuid.UUID
    name: str
    role: str | None = Field(default=None, description="the caller's role in this client")
    created_at: dt.datetime


class MemberUpdate(BaseModel):
    """Change the role of an existing member (new members are invited and accept)."""

    role: Role = Field(examples=["operator"])
    user_id: uuid.UUID


class InvitationCreate(BaseModel):
    """Invite an e-mail address; the answer is the same whether or not it has an account."""

    email: Email = Field(examples=["bob@example.com"])
    role: Role = Field(examples=["operator"])


class InvitationPublic(_Public):
    """An invitation as its client's owners see it (never the invitee's user id)."""

    id: uuid.UUID
    client_id: uuid.UUID
    email: str
    role: str
    status: Literal["pending", "accepted", "declined", "revoked", "expired"]
    expires_at: dt.datetime
    created_at: dt.datetime
    accepted_at: dt.datetime | None = None
    declined_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class ReceivedInvitationPublic(_Public):
    """An open invitation sent to your verified e-mail address."""

    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    role: str
    expires_at: dt.datetime
    created_at: dt.datetime


class ApiKeyCreate(BaseModel):
    """A new API key of the client: a name, a role (never owner) and an optional expiry."""

    name: str = Field(min_length=1, max_length=100, examples=["ERP connector"])
    role: Literal["operator", "analyst", "viewer"] = Field(examples=["operator"])
    expires_at: dt.datetime | None = Field(
        default=None, description="when the key stops working (UTC if no offset); none: never"
    )


class ApiKeyPublic(_Public):
    """An API key as the client's owners see it: never the key, never its hash."""

    id: uuid.UUID
    client_id: uuid.UUID
    name: str
    role: str
    prefix: str = Field(
        validation_alias=AliasChoices("display_prefix", "prefix"),
        description="the key's visible start (ifk_<12 characters>), to tell keys apart",
        examples=["ifk_k3v9q2m7x1ab"],
    )
    status: Literal["active", "expired", "revoked"]
    expires_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class ApiKeyCreated(ApiKeyPublic):
    """A key just created: ``key`` is shown this once and cannot be shown again."""

    key: str = Field(description="send it as 'Authorization: Bearer <key>'; store it safely")


WebhookEvent = Literal[
    "invoice.processed", "invoice.needs_review", "invoice.approved", "invoice.rejected",
    "invoice.exported", "batch.completed",
]  # fmt: skip


class WebhookEndpointCreate(BaseModel):
    """A URL that receives signed events (https; loopback http only where allowed)."""

    url: str = Field(min_length=1, max_length=2000, examples=["https://erp.example.com/hooks"])
    event_types: list[WebhookEvent] = Field(min_length=1, max_length=6)
    description: str = Field(default="", max_length=200)


class WebhookEndpointUpdate(BaseModel):
    """Change an endpoint; ``rotate_secret`` issues a new signing secret (shown once)."""

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[WebhookEvent] | None = Field(default=None, min_length=1, max_length=6)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None
    rotate_secret: bool = False


class WebhookEndpointPublic(_Public):
    id: uuid.UUID
    client_id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookEndpointCreated(WebhookEndpointPublic):
    """An endpoint with its signing secret (``whsec_...``): shown in this answer only."""

    secret: str | None = Field(
        default=None, description="verify webhook-signature with it; store it safely"
    )


class WebhookAttemptPublic(_Public):
    attempt: int
    started_at: dt.datetime
    duration_ms: int
    status_code: int | None = None
    error: str | None = None


class WebhookDeliveryPublic(_Public):
    """One event for one endpoint: its status, attempts and the last answer."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: dt.datetime | None = None
    last_attempt_at: dt.datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    succeeded_at: dt.datetime | None = None
    manual_redeliveries: int
    created_at: dt.datetime
    attempt_log: list[WebhookAttemptPublic] | None = None


class ExportJobPublic(_Public):
    """An export job: poll it until ``status`` is succeeded, then download ``file_url``."""

    id: uuid.UUID
    client_id: uuid.UUID | None = None
    format: str
    status: Literal["queued", "running", "succeeded", "failed"]
    error: str | None = None
    row_count: int | None = None
    file_name: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    expires_at: dt.datetime
    file_url: str | None = None


MailFolder = Annotated[str, Field(pattern=r"^[A-Za-z0-9 ._/-]{1,200}$")]


class MailboxCreate(BaseModel):
    """An IMAP mailbox to poll for invoices; the password is stored encrypted, never shown."""

    name: str = Field(min_length=1, max_length=100, examples=["AP inbox"])
    host: str = Field(pattern=r"^[A-Za-z0-9.:-]{1,253}$", examples=["imap.example.com"])
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1000)
    folder: MailFolder = "INBOX"
    processed_folder: MailFolder = "InvoiceFlow-Processed"
    failed_folder: MailFolder = "InvoiceFlow-Failed"
    poll_interval_seconds: int = Field(default=60, ge=10, le=86400)


class MailboxUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    host: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.:-]{1,253}$")
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] | None = None
    username: str | None = Field(default=None, min_length=1, max_length=320)
    password: str | None = Field(default=None, min_length=1, max_length=1000)
    folder: MailFolder | None = None
    processed_folder: MailFolder | None = None
    failed_folder: MailFolder | None = None
    enabled: bool | None = None
    poll_interval_seconds: int | None = Field(default=None, ge=10, le=86400)


class MailboxPublic(_Public):
    """A mailbox and its last poll (never its password)."""

    id: uuid.UUID
    client_id: uuid.UUID
    name: str
    host: str
    port: int
    security: str
    username: str
    folder: str
    processed_folder: str
    failed_folder: str
    enabled: bool
    poll_interval_seconds: int
    last_poll_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str | None = None
    last_counts: dict[str, Any] = Field(default_factory=dict)
    created_at: dt.datetime


class MailboxMessagePublic(_Public):
    """What happened to one message: processed, failed (moved to the failed folder, with the
    reason), retry (tried again at the next poll) or already_done."""

    id: int
    message_key: str
    uid: int | None = None
    sender: str | None = None
    subject: str | None = None
    outcome: str
    reason: str | None = None
    documents: list[Any]
    created_at: dt.datetime


class ResplitCreate(BaseModel):
    """The file's invoices as page ranges, e.g. [[1, 2], [3, 3]] (1-based, inclusive)."""

    parts: list[Annotated[list[int], Field(min_length=2, max_length=2)]] = Field(
        min_length=1, max_length=500, examples=[[[1, 2], [3, 3]]]
    )


class ResplitPublic(BaseModel):
    invoice_ids: list[uuid.UUID] = Field(description="the new invoices, one per part (queued)")


class FileSplitPublic(_Public):
    id: uuid.UUID
    file_id: uuid.UUID
    source: Literal["detected", "operator"]
    parts: list[Any]
    plan: dict[str, Any]
    invoice_ids: list[uuid.UUID]
    created_by: uuid.UUID | None = None
    created_at: dt.datetime


class InvoiceSplitPublic(BaseModel):
    """Which pages of its file an invoice is (null: the whole file) and the file's splits."""

    pages: list[int] | None = None
    splits: list[FileSplitPublic]


class MemberPublic(_Public):
    client_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    created_at: dt.datetime


# Uploads and batches -------------------------------------------------------------------------
class UploadedFilePublic(_Public):
    filename: str
    status: Literal["accepted", "duplicate", "rejected"]
    invoice_id: uuid.UUID | None = None
    sha256: str | None = None
    size: int = 0
    content_type: str | None = None
    error_code: str | None = Field(default=None, examples=["unsupported_type"])
    error: str | None = None


class UploadPublic(BaseModel):
    """One outcome per file; rejected files never stop the others."""

    batch_id: uuid.UUID | None
    accepted: int
    files: list[UploadedFilePublic]


class BatchPublic(_Public):
    id: uuid.UUID
    client_id: uuid.UUID
    name: str | None = None
    status: str
    file_count: int
    created_at: dt.datetime
    counts: dict[str, int] = Field(default_factory=dict, description="invoices per status")
    total: int | None = None
    processed: int | None = None
    done: bool | None = None
    jobs: dict[str, int] = Field(default_factory=dict, description="queue jobs per status")


# Invoices ------------------------------------------------------------------------------------
class LinePublic(_Public):
    id: uuid.UUID
    line_no: int
    description: str | None = None
    product_code: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = None
    tax_rate: Decimal | None = None
    allowance: Decimal | None = Field(default=None, description="line allowances (net)")
    charge: Decimal | None = Field(default=None, description="line charges (net)")


class MatchPublic(_Public):
    """A proposed or decided match with its score, band, reason and ranked candidates."""

    id: uuid.UUID
    invoice_id: uuid.UUID
    kind: str
    vendor_id: uuid.UUID | None = None
    purchase_order_id: uuid.UUID | None = None
    duplicate_of_invoice_id: uuid.UUID | None = None
    target_name: str | None = None
    score: Decimal | None = Field(default=None, description="0-100, the matcher's scale")
    band: str
    reason: str
    profile_version: int | None = None
    status: str
    decided_by: uuid.UUID | None = None
    decided_at: dt.datetime | None = None
    candidates: list[dict[str, Any]] = Field(default_factory=list)


class MatchExceptionPublic(_Public):
    """One thing the purchase-order match found wrong: a stable code, plain words, the figures.

    ``code`` names it for machines and approval policies (``po.*``: the order as a whole,
    ``line.*``: invoice line ``line_no``); ``reason`` says it with the figures."""

    id: uuid.UUID
    invoice_id: uuid.UUID
    code: ExceptionCode = Field(examples=["line.not_received"])
    line_no: int | None = Field(default=None, description="the invoice line; null for po.*")
    purchase_order_id: uuid.UUID | None = None
    po_number: str | None = None
    po_line_no: int | None = None
    mode: Literal["header", "2-way", "3-way"] | None = Field(
        default=None, description="what was compared: the header, lines, or lines and receipts"
    )
    quantity: Decimal | None = Field(default=None, description="billed on this invoice line")
    unit_price: Decimal | None = None
    ordered_quantity: Decimal | None = None
    received_quantity: Decimal | None = Field(
        default=None, description="received so far (goods receipts); null in a 2-way match"
    )
    billed_before: Decimal | None = Field(
        default=None, description="billed on earlier invoices (and lines) of the same PO line"
    )
    po_unit_price: Decimal | None = None
    reason: str = Field(examples=["billed 10 but only 6 received on PO PO-1 line 1"])
    profile_version: int | None = None
    created_at: dt.datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def words(self) -> str:
        """The code in plain words."""
        return self.code.words


class InvoicePublic(_Public):
    id: uuid.UUID
    client_id: uuid.UUID
    batch_id: uuid.UUID | None = None
    status: str = Field(examples=["needs_review"])
    failure_reason: str | None = None
    vendor_name: str | None = None
    vendor_vat_id: str | None = None
    vendor_iban: str | None = None
    customer_name: str | None = None
    customer_vat_id: str | None = None
    invoice_number: str | None = None
    po_number: str | None = None
    document_type: str | None = None
    invoice_date: dt.date | None = None
    due_date: dt.date | None = None
    currency: str | None = None
    line_total: Decimal | None = Field(
        default=None, description="the sum of the line amounts the document prints"
    )
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    total: Decimal | None = None
    amount_due: Decimal | None = None
    payment_reference: str | None = Field(
        default=None, description="what a payment of this invoice must quote (creditor reference)"
    )
    extractor: str | None = None
    extractor_version: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    confidence: Decimal | None = None
    vendor_id: uuid.UUID | None = None
    matched_vendor_name: str | None = None
    purchase_order_id: uuid.UUID | None = None
    match_band: str | None = None
    match_score: Decimal | None = Field(
        default=None, description="the vendor match's score, 0-100 (the matcher's scale)"
    )
    file_name: str | None = None
    reviewed_by: uuid.UUID | None = None
    reviewed_at: dt.datetime | None = None
    version: int = Field(description="send it back (or the ETag as If-Match) when changing")
    created_at: dt.datetime
    updated_at: dt.datetime


class InvoiceDetailPublic(InvoicePublic):
    lines: list[LinePublic] = Field(default_factory=list)
    matches: list[MatchPublic] = Field(default_factory=list)
    exceptions: list[MatchExceptionPublic] = Field(
        default_factory=list, description="what the purchase-order match found wrong"
    )


class InvoiceUpdate(BaseModel):
    """Field corrections; ``version`` (or an If-Match header) guards against lost updates."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, examples=[3])
    vendor_name: str | None = Field(default=None, max_length=500)
    vendor_vat_id: str | None = Field(default=None, max_length=500)
    vendor_iban: str | None = Field(default=None, max_length=500)
    customer_name: str | None = Field(default=None, max_length=500)
    customer_vat_id: str | None = Field(default=None, max_length=500)
    invoice_number: str | None = Field(default=None, max_length=500, examples=["INV-2024-001"])
    po_number: str | None = Field(default=None, max_length=500)
    document_type: Literal["invoice", "credit_note"] | None = None
    invoice_date: dt.date | None = None
    due_date: dt.date | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3, examples=["EUR"])
    line_total: Decimal | None = Field(default=None, max_digits=16, decimal_places=4)
    subtotal: Decimal | None = Field(default=None, max_digits=16, decimal_places=4)
    tax: Decimal | None = Field(default=None, max_digits=16, decimal_places=4)
    total: Decimal | None = Field(default=None, max_digits=16, decimal_places=4)
    amount_due: Decimal | None = Field(default=None, max_digits=16, decimal_places=4)
    payment_reference: str | None = Field(
        default=None, max_length=140, examples=["RF18539007547034"]
    )
    vendor_id: uuid.UUID | None = None
    purchase_order_id: uuid.UUID | None = None


class DecisionCreate(BaseModel):
    """A decision on an invoice; ``version`` (or an If-Match header) guards against lost updates."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1)


class ApproveCreate(DecisionCreate):
    """An approval; ``override_reason`` approves over the approval policy's blocks (only the
    roles the policy names), audited as ``approval.overridden``."""

    override_reason: str | None = Field(
        default=None, min_length=3, max_length=500, examples=["PO confirmed by phone"]
    )


class RejectCreate(DecisionCreate):
    reason: str = Field(min_length=1, max_length=500, examples=["duplicate of INV-7"])


class RematchCreate(DecisionCreate):
    """Run vendor, purchase-order and duplicate matching again on the invoice as it stands."""

    reason: str | None = Field(default=None, max_length=500, examples=["PO list updated"])


class VendorFromInvoiceCreate(DecisionCreate):
    """Create a vendor from the invoice's vendor fields (each field overrides the invoice's);
    ``force`` creates it even when the matcher finds a similar vendor in the master."""

    name: str | None = Field(default=None, max_length=300)
    vat_id: str | None = Field(default=None, max_length=40)
    iban: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    country: str | None = Field(default=None, max_length=2)
    force: bool = False


class ApprovalReasonPublic(_Public):
    """Something that speaks against approving the invoice (``blocking``: the policy blocks)."""

    code: str = Field(examples=["vendor.unknown"])
    message: str
    fields: list[str] = Field(default_factory=list)
    detail: dict[str, Any] = Field(default_factory=dict)
    blocking: bool


class ApprovalCheckPublic(BaseModel):
    """An invoice's reasons against approval under its client's approval policy."""

    invoice_id: uuid.UUID
    version: int
    policy_version: int | None = Field(description="null: the built-in default policy")
    may_override: bool = Field(description="your role may approve over the blocks, with a reason")
    reasons: list[ApprovalReasonPublic]


class MatchOverride(BaseModel):
    vendor_id: uuid.UUID | None = None
    purchase_order_id: uuid.UUID | None = None


class AuditEventPublic(_Public):
    id: int
    invoice_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    action: str = Field(examples=["status.approved"])
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: dt.datetime


class SignedUrlPublic(BaseModel):
    url: str
    expires_in: int


# Reference data and profiles -----------------------------------------------------------------
class RowErrorPublic(BaseModel):
    row: int
    field: str | None = None
    message: str


class ImportReportPublic(BaseModel):
    kind: str
    total_rows: int
    created: int
    updated: int
    errors: list[RowErrorPublic]
    warnings: list[RowErrorPublic] = Field(
        default_factory=list,
        description="rows stored with a caveat, e.g. goods-receipt lines that lost their PO line",
    )
    aliases_added: int = Field(
        default=0, description="vendor alternate names added to the alias store (vendors only)"
    )


class VendorPublic(_Public):
    id: uuid.UUID
    vendor_code: str | None = None
    name: str
    vat_id: str | None = None
    iban: str | None = None
    address: str | None = None
    country: str | None = None
    email: str | None = None


class VendorAliasPublic(_Public):
    id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_name: str | None = None
    kind: str = Field(description="name, vat_id or iban")
    value: str
    normalized: str = Field(description="the matching key")
    source: str = Field(description="import, learned (from a match decision) or manual")
    created_by: uuid.UUID | None = None
    learned_from: str | None = Field(default=None, description="e-mail of who taught it")
    source_invoice_id: uuid.UUID | None = None
    created_at: dt.datetime


class VendorHintPublic(_Public):
    id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_name: str | None = None
    field: str
    anchor: str = Field(description="the label next to the value, folded ('' when none)")
    direction: str = Field(description="inline, right, below or region")
    page: int
    region: list[float] = Field(description="x0, y0, x1, y1 as shares of the page")
    weight: float = Field(description="up on agreement, down on a contrary correction")
    agreements: int
    contradictions: int
    learned_from: str | None = None
    source_invoice_id: uuid.UUID | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class VendorTrustPublic(_Public):
    vendor_id: uuid.UUID
    vendor_name: str
    clean_streak: int = Field(description="approved invoices in a row with no correction")
    paused: bool = Field(description="an owner paused straight-through approval for the vendor")
    paused_by: uuid.UUID | None = None
    paused_at: dt.datetime | None = None
    last_reset_action: str | None = Field(default=None, description="what last reset the streak")
    last_reset_invoice_id: uuid.UUID | None = None
    last_reset_at: dt.datetime | None = None


class LadderPause(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paused: bool


class AutoApprovalReasonPublic(_Public):
    code: str = Field(description="ladder.off, ladder.streak_short, ladder.po_match, ...")
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


class PurchaseOrderPublic(_Public):
    id: uuid.UUID
    po_number: str
    vendor_id: uuid.UUID | None = None
    vendor_name: str | None = None
    status: str
    order_date: dt.date | None = None
    currency: str
    total: Decimal | None = None
    line_count: int = 0


class GoodsReceiptPublic(_Public):
    id: uuid.UUID
    receipt_number: str
    purchase_order_id: uuid.UUID
    po_number: str
    received_on: dt.date | None = None
    line_count: int = 0
    unlinked_line_count: int = Field(
        default=0, description="lines not linked to a PO line (they count for no 3-way match)"
    )
    quantity_total: Decimal | None = None
    created_at: dt.datetime


class MatchProfilePublic(_Public):
    id: uuid.UUID
    version: int
    name: str
    is_active: bool
    profile: dict[str, Any]
    notes: str | None = None
    created_at: dt.datetime


class MatchProfileCreate(BaseModel):
    """A new profile version (thresholds and weights as ``core.matching.MatchProfile``)."""

    profile: dict[str, Any] = Field(examples=[{"name": "tuned", "auto_threshold": 92}])
    activate: bool = False
    notes: str | None = Field(default=None, max_length=2000)


class ApprovalPolicyPublic(_Public):
    id: uuid.UUID
    version: int
    name: str
    is_active: bool
    policy: dict[str, Any]
    notes: str | None = None
    created_at: dt.datetime


class ApprovalPolicyCreate(BaseModel):
    """A new approval policy version (``core.workflow.approval_policy.ApprovalPolicy``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="approval policy", min_length=1, max_length=100)
    policy: dict[str, Any] = Field(
        examples=[{"blocks": ["vendor.unknown", "check.*"], "override_roles": ["owner"]}]
    )
    activate: bool = False
    notes: str | None = Field(default=None, max_length=2000)


class CreatedVendorPublic(BaseModel):
    vendor: VendorPublic
    invoice: InvoicePublic
