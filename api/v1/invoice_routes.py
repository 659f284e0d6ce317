"""Invoices: list with filters, detail, corrections (ETag / If-Match), decisions, files, audit."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status

from api.deps import CurrentUserDep, ServicesDep
from api.downloads import download_headers
from api.errors import problem_responses
from api.v1.schemas import (
    ApprovalCheckPublic,
    ApprovalReasonPublic,
    ApproveCreate,
    AuditEventPublic,
    AutoApprovalReasonPublic,
    CreatedVendorPublic,
    DecisionCreate,
    FileSplitPublic,
    InvoiceDetailPublic,
    InvoicePage,
    InvoicePublic,
    InvoiceSplitPublic,
    InvoiceUpdate,
    LinePublic,
    MatchExceptionPublic,
    MatchPublic,
    Page,
    RejectCreate,
    RematchCreate,
    ResplitCreate,
    ResplitPublic,
    SignedUrlPublic,
    VendorFromInvoiceCreate,
    VendorPublic,
)
from core.workflow import (
    approval,
    invoices,
    rematch,
    review,
    splitting,
    trust_ladder,
    vendor_creation,
)
from core.workflow.invoices import SORTS, InvoiceFilter
from core.workflow.states import InvoiceStatus

router = APIRouter(prefix="/invoices", tags=["invoices"])
ERRORS = problem_responses(401, 403, 404)
CHANGE_ERRORS = problem_responses(401, 403, 404, 409, 422, 428)
_ETAG = re.compile(r'^(?:W/)?"v(\d{1,9})"$')


def etag(version: int) -> str:
    """The ETag of an invoice version."""
    return f'"v{version}"'


def expected_version(if_match: str | None, body_version: int | None) -> int:
    """The version the client saw: If-Match wins over the body; one of them is required."""
    if if_match:
        m = _ETAG.match(if_match.strip())
        if not m:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "If-Match must be an ETag")
        return int(m.group(1))
    if body_version is None:
        raise HTTPException(
            status.HTTP_428_PRECONDITION_REQUIRED,
            "send If-Match with the invoice's ETag, or its version in the body",
        )
    return body_version


def filters(
    client_id: uuid.UUID | None = None,
    status_: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    vendor: Annotated[str | None, Query(max_length=200)] = None,
    vendor_id: uuid.UUID | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    amount_min: Annotated[Decimal | None, Query(max_digits=16, decimal_places=4)] = None,
    amount_max: Annotated[Decimal | None, Query(max_digits=16, decimal_places=4)] = None,
    match_band: Literal["auto", "review", "reject"] | None = None,
    batch_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> InvoiceFilter:
    """Query parameters -> ``InvoiceFilter``."""
    return InvoiceFilter(
        client_id=client_id,
        status=tuple(status_ or ()),
        vendor=vendor,
        vendor_id=vendor_id,
        date_from=date_from,
        date_to=date_to,
        amount_min=amount_min,
        amount_max=amount_max,
        match_band=match_band,
        batch_id=batch_id,
        search=q,
    )


FilterDep = Annotated[InvoiceFilter, Depends(filters)]


@router.get(
    "", response_model=InvoicePage[InvoicePublic], responses=problem_responses(401, 404, 422)
)
def list_invoices(
    user: CurrentUserDep,
    services: ServicesDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    sort: Literal[tuple(SORTS)] = "-created_at",  # type: ignore[valid-type]
    cursor: Annotated[
        str | None,
        Query(max_length=300, description="next_cursor of the previous page (keyset paging)"),
    ] = None,
) -> InvoicePage[InvoicePublic]:
    """Invoices you may see, filtered by status, vendor, date range, amount range, match band.

    ``count`` is exact up to 10,000; above that it is 10,000 and ``count_is_estimate`` is true.
    Page with ``limit``/``offset``, or (stable under inserts, fast at any depth) with ``cursor``:
    each page of a ``created_at`` sort carries ``next_cursor`` until the last.
    """
    page = invoices.list_invoices_page(
        services=services, user=user, filters=f, limit=limit, offset=offset, sort=sort,
        cursor=cursor,
    )  # fmt: skip
    return InvoicePage(
        data=[InvoicePublic.model_validate(r) for r in page.rows],
        count=page.count,
        count_is_estimate=page.count_is_estimate,
        next_cursor=page.next_cursor,
    )


@router.get("/{invoice_id}", response_model=InvoiceDetailPublic, responses=ERRORS)
def get_invoice(
    invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep, response: Response
) -> InvoiceDetailPublic:
    """One invoice with lines and matches; the ETag header carries its version."""
    row = invoices.get_invoice(services=services, user=user, invoice_id=invoice_id)
    response.headers["ETag"] = etag(row.version)
    return InvoiceDetailPublic.model_validate(row)


@router.patch("/{invoice_id}", response_model=InvoicePublic, responses=CHANGE_ERRORS)
def correct_invoice(
    invoice_id: uuid.UUID,
    body: InvoiceUpdate,
    user: CurrentUserDep,
    services: ServicesDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> InvoicePublic:
    """Correct header fields; 409 if someone else changed the invoice since you read it."""
    version = expected_version(if_match, body.version)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    row = review.correct_fields(
        services=services,
        user=user,
        invoice_id=invoice_id,
        changes=changes,
        expected_version=version,
    )
    response.headers["ETag"] = etag(row.version)
    return InvoicePublic.model_validate(row)


@router.post("/{invoice_id}/approve", response_model=InvoicePublic, responses=CHANGE_ERRORS)
def approve(
    invoice_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    response: Response,
    body: ApproveCreate | None = None,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> InvoicePublic:
    """Approve an invoice in review (or confirm an auto-approval).

    Needs If-Match (or ``version``): 428 without. While the client's approval policy blocks it,
    409 ``approval_blocked`` lists the reasons (``errors``: ``code``, ``message``, ``fields``);
    ``override_reason`` approves over them when the policy lets your role (else 403)."""
    version = expected_version(if_match, body.version if body else None)
    row = review.approve_invoice(
        services=services,
        user=user,
        invoice_id=invoice_id,
        expected_version=version,
        override_reason=body.override_reason if body else None,
    )
    response.headers["ETag"] = etag(row.version)
    return InvoicePublic.model_validate(row)


@router.post("/{invoice_id}/reject", response_model=InvoicePublic, responses=CHANGE_ERRORS)
def reject(
    invoice_id: uuid.UUID,
    body: RejectCreate,
    user: CurrentUserDep,
    services: ServicesDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> InvoicePublic:
    """Reject an invoice with a reason; needs If-Match (or ``version``): 428 without."""
    row = review.reject_invoice(
        services=services,
        user=user,
        invoice_id=invoice_id,
        reason=body.reason,
        expected_version=expected_version(if_match, body.version),
    )
    response.headers["ETag"] = etag(row.version)
    return InvoicePublic.model_validate(row)


@router.get("/{invoice_id}/approval", response_model=ApprovalCheckPublic, responses=ERRORS)
def approval_check(
    invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep, response: Response
) -> ApprovalCheckPublic:
    """What speaks against approving the invoice now, and which of it the policy blocks on."""
    check = approval.approval_check(services=services, user=user, invoice_id=invoice_id)
    response.headers["ETag"] = etag(check.version)
    return ApprovalCheckPublic(
        invoice_id=check.invoice_id,
        version=check.version,
        policy_version=check.policy_version,
        may_override=check.may_override,
        reasons=[ApprovalReasonPublic.model_validate(r) for r in check.reasons],
    )


@router.post("/{invoice_id}/rematch", response_model=InvoiceDetailPublic, responses=CHANGE_ERRORS)
def rematch_invoice(
    invoice_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    response: Response,
    body: RematchCreate | None = None,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> InvoiceDetailPublic:
    """Run vendor, purchase-order and duplicate matching again (audited ``match.rematched``).

    Corrections of the fields matching reads re-match on their own; this is for when the
    reference data changed. Needs If-Match (or ``version``)."""
    rematch.rematch_invoice(
        services=services,
        user=user,
        invoice_id=invoice_id,
        expected_version=expected_version(if_match, body.version if body else None),
        reason=body.reason if body else None,
    )
    row = invoices.get_invoice(services=services, user=user, invoice_id=invoice_id)
    response.headers["ETag"] = etag(row.version)
    return InvoiceDetailPublic.model_validate(row)


@router.post(
    "/{invoice_id}/vendor",
    response_model=CreatedVendorPublic,
    status_code=status.HTTP_201_CREATED,
    responses=CHANGE_ERRORS,
)
def create_vendor(
    invoice_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    response: Response,
    body: VendorFromInvoiceCreate | None = None,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> CreatedVendorPublic:
    """Create a vendor from the invoice's vendor fields (owners, operators) and match the invoice
    to it (audited ``vendor.created``). The matcher is asked first: when the master seems to hold
    the vendor already, 409 ``vendor_exists`` lists the candidates ("did you mean ...");
    ``force`` creates it anyway. Needs If-Match (or ``version``)."""
    body = body or VendorFromInvoiceCreate()
    created = vendor_creation.create_vendor_from_invoice(
        services=services,
        user=user,
        invoice_id=invoice_id,
        expected_version=expected_version(if_match, body.version),
        name=body.name,
        vat_id=body.vat_id,
        iban=body.iban,
        address=body.address,
        country=body.country,
        force=body.force,
    )
    response.headers["ETag"] = etag(created.invoice.version)
    return CreatedVendorPublic(
        vendor=VendorPublic.model_validate(created.vendor),
        invoice=InvoicePublic.model_validate(created.invoice),
    )


@router.post("/{invoice_id}/reopen", response_model=InvoicePublic, responses=CHANGE_ERRORS)
def reopen(
    invoice_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    body: DecisionCreate | None = None,
) -> InvoicePublic:
    """Send an approved, auto-approved or rejected invoice back to review."""
    return InvoicePublic.model_validate(
        review.reopen_invoice(
            services=services,
            user=user,
            invoice_id=invoice_id,
            expected_version=body.version if body else None,
        )
    )


@router.post("/{invoice_id}/retry", response_model=InvoicePublic, responses=CHANGE_ERRORS)
def retry(invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> InvoicePublic:
    """Queue a failed invoice for processing again."""
    return InvoicePublic.model_validate(
        review.retry_invoice(services=services, user=user, invoice_id=invoice_id)
    )


@router.delete(
    "/{invoice_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
def delete_invoice(invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> None:
    """Delete an invoice and its stored file."""
    invoices.delete_invoice(services=services, user=user, invoice_id=invoice_id)


@router.get("/{invoice_id}/lines", response_model=Page[LinePublic], responses=ERRORS)
def list_lines(
    invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[LinePublic]:
    """Line items of an invoice."""
    rows = invoices.list_lines(services=services, user=user, invoice_id=invoice_id)
    return Page(data=[LinePublic.model_validate(r) for r in rows], count=len(rows))


@router.get("/{invoice_id}/matches", response_model=Page[MatchPublic], responses=ERRORS)
def list_matches(
    invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[MatchPublic]:
    """Match preview: vendor, PO and duplicate proposals with scores, reasons and candidates."""
    rows = invoices.list_matches(services=services, user=user, invoice_id=invoice_id)
    return Page(data=[MatchPublic.model_validate(r) for r in rows], count=len(rows))


@router.get(
    "/{invoice_id}/auto-approval",
    response_model=Page[AutoApprovalReasonPublic],
    responses=ERRORS,
)
def auto_approval_reasons(
    invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[AutoApprovalReasonPublic]:
    """Why the trust ladder would not approve this invoice with no touch (empty: it would)."""
    rows = trust_ladder.auto_approval_reasons(services=services, user=user, invoice_id=invoice_id)
    return Page(data=[AutoApprovalReasonPublic.model_validate(r) for r in rows], count=len(rows))


@router.get("/{invoice_id}/exceptions", response_model=Page[MatchExceptionPublic], responses=ERRORS)
def list_exceptions(
    invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[MatchExceptionPublic]:
    """Purchase-order match exceptions: stable codes (po.*, line.*), plain words and figures."""
    rows = invoices.list_exceptions(services=services, user=user, invoice_id=invoice_id)
    return Page(data=[MatchExceptionPublic.model_validate(r) for r in rows], count=len(rows))


@router.get("/{invoice_id}/audit", response_model=Page[AuditEventPublic], responses=ERRORS)
def audit_log(
    invoice_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[AuditEventPublic]:
    """Who did what to the invoice and when, with before/after values, oldest first."""
    rows = invoices.audit_log(
        services=services, user=user, invoice_id=invoice_id, limit=limit, offset=offset
    )
    return Page(data=[AuditEventPublic.model_validate(r) for r in rows], count=len(rows))


@router.get(
    "/{invoice_id}/file",
    responses={**ERRORS, 200: {"content": {"application/pdf": {}}, "description": "the file"}},
    response_class=Response,
)
def download_file(invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> Response:
    """The original uploaded file, streamed."""
    data, content_type, name = invoices.original_file(
        services=services, user=user, invoice_id=invoice_id
    )
    return Response(data, media_type=content_type, headers=download_headers(name))


@router.get("/{invoice_id}/file-url", response_model=SignedUrlPublic, responses=ERRORS)
def file_url(invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> SignedUrlPublic:
    """A short-lived signed URL for the original file."""
    url = invoices.original_file_url(services=services, user=user, invoice_id=invoice_id)
    return SignedUrlPublic(url=url, expires_in=services.settings.signed_url_ttl_seconds)


@router.get("/{invoice_id}/split", response_model=InvoiceSplitPublic, responses=ERRORS)
def get_split(
    invoice_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> InvoiceSplitPublic:
    """Which pages of its file the invoice is (a multi-invoice PDF) and the file's splits."""
    pages, history = splitting.splits_of(services=services, user=user, invoice_id=invoice_id)
    return InvoiceSplitPublic(
        pages=list(pages) if pages else None,
        splits=[FileSplitPublic.model_validate(h) for h in history],
    )


@router.post(
    "/{invoice_id}/resplit",
    response_model=ResplitPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def resplit(
    invoice_id: uuid.UUID, body: ResplitCreate, user: CurrentUserDep, services: ServicesDep
) -> ResplitPublic:
    """Split the invoice's file again by hand (owners and operators, while its invoices are in
    review or failed): its invoices are replaced by one new invoice per part, each processed
    again. Audited as ``file.resplit``."""
    ids = splitting.resplit(
        services=services, user=user, invoice_id=invoice_id, parts=[list(p) for p in body.parts]
    )
    return ResplitPublic(invoice_ids=ids)
