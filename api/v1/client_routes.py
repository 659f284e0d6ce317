"""Clients, members, batches, reference data and match profiles of a client."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, UploadFile, status

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.v1.schemas import (
    ApprovalPolicyCreate,
    ApprovalPolicyPublic,
    BatchPublic,
    ClientCreate,
    ClientPublic,
    GoodsReceiptPublic,
    ImportReportPublic,
    InvitationCreate,
    InvitationPublic,
    LadderPause,
    MatchProfileCreate,
    MatchProfilePublic,
    MemberPublic,
    MemberUpdate,
    Page,
    PurchaseOrderPublic,
    VendorAliasPublic,
    VendorHintPublic,
    VendorPublic,
    VendorTrustPublic,
)
from api.v1.uploads import read_upload
from core.errors import ValidationFailed
from core.matching.profile import MatchProfile
from core.workflow import approval_policy, clients, invitations, profiles, reference, trust_ladder

router = APIRouter(tags=["clients"])
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
ERRORS = problem_responses(401, 403, 404)


@router.get("/clients", response_model=Page[ClientPublic], responses=ERRORS)
def list_clients(user: CurrentUserDep, services: ServicesDep) -> Page[ClientPublic]:
    """Clients you are a member of, with your role."""
    rows = clients.list_clients(services=services, user=user)
    return Page(data=[ClientPublic.model_validate(r) for r in rows], count=len(rows))


@router.post(
    "/clients",
    response_model=ClientPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 422),
)
def create_client(body: ClientCreate, user: CurrentUserDep, services: ServicesDep) -> ClientPublic:
    """Create a client; you become its owner."""
    return ClientPublic.model_validate(
        clients.create_client(services=services, user=user, name=body.name)
    )


@router.get("/clients/{client_id}", response_model=ClientPublic, responses=ERRORS)
def get_client(client_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> ClientPublic:
    """One client you belong to."""
    return ClientPublic.model_validate(
        clients.get_client(services=services, user=user, client_id=client_id)
    )


@router.get("/clients/{client_id}/members", response_model=Page[MemberPublic], responses=ERRORS)
def list_members(
    client_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[MemberPublic]:
    """Members of a client and their roles."""
    rows = clients.list_members(services=services, user=user, client_id=client_id)
    return Page(data=[MemberPublic.model_validate(r) for r in rows], count=len(rows))


@router.put(
    "/clients/{client_id}/members",
    response_model=MemberPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def set_member(
    client_id: uuid.UUID, body: MemberUpdate, user: CurrentUserDep, services: ServicesDep
) -> MemberPublic:
    """Change an existing member's role (owners only); new members are invited."""
    row = clients.set_member(
        services=services, user=user, client_id=client_id, role=body.role, user_id=body.user_id
    )
    return MemberPublic.model_validate(row)


@router.delete(
    "/clients/{client_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def remove_member(
    client_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> None:
    """Remove a member (owners only; a client keeps at least one owner)."""
    clients.remove_member(services=services, user=user, client_id=client_id, user_id=user_id)


@router.post(
    "/clients/{client_id}/invitations",
    response_model=InvitationPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
def invite_member(
    client_id: uuid.UUID, body: InvitationCreate, user: CurrentUserDep, services: ServicesDep
) -> InvitationPublic:
    """Invite an e-mail address to the client (owners only); they join when they accept."""
    row = invitations.invite_member(
        services=services, user=user, client_id=client_id, email=body.email, role=body.role
    )
    return InvitationPublic.model_validate(row)


@router.get(
    "/clients/{client_id}/invitations", response_model=Page[InvitationPublic], responses=ERRORS
)
def list_invitations(
    client_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[InvitationPublic]:
    """The client's invitations with their status, newest first (owners only)."""
    rows = invitations.list_invitations(services=services, user=user, client_id=client_id)
    return Page(data=[InvitationPublic.model_validate(r) for r in rows], count=len(rows))


@router.delete(
    "/clients/{client_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
def revoke_invitation(
    client_id: uuid.UUID, invitation_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> None:
    """Revoke an open invitation (owners only)."""
    invitations.revoke_invitation(
        services=services, user=user, client_id=client_id, invitation_id=invitation_id
    )


@router.get("/clients/{client_id}/batches", response_model=Page[BatchPublic], responses=ERRORS)
def list_batches(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[BatchPublic]:
    """Upload batches of a client, newest first."""
    rows = clients.list_batches(
        services=services, user=user, client_id=client_id, limit=limit, offset=offset
    )
    return Page(data=[BatchPublic.model_validate(r) for r in rows], count=len(rows))


@router.get("/batches/{batch_id}", response_model=BatchPublic, responses=ERRORS)
def batch_progress(batch_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep) -> BatchPublic:
    """Progress of one batch: invoices per status and queue jobs per status."""
    return BatchPublic.model_validate(
        clients.batch_progress(services=services, user=user, batch_id=batch_id)
    )


@router.post(
    "/clients/{client_id}/reference/{kind}",
    response_model=ImportReportPublic,
    responses=problem_responses(401, 403, 404, 413, 415, 422),
)
async def import_reference(
    client_id: uuid.UUID,
    kind: Literal["vendors", "purchase_orders", "goods_receipts"],
    user: CurrentUserDep,
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="CSV or XLSX with a header row")],
) -> ImportReportPublic:
    """Import vendors, purchase orders (one row per line) or goods receipts; bad rows reported."""
    from starlette.concurrency import run_in_threadpool

    data = await read_upload(file, services.settings.max_upload_bytes)
    report = await run_in_threadpool(
        lambda: reference.import_reference(
            services=services,
            user=user,
            client_id=client_id,
            kind=kind,
            data=data,
            filename=file.filename,
        )
    )
    return ImportReportPublic.model_validate(report.as_dict())


@router.get("/clients/{client_id}/vendors", response_model=Page[VendorPublic], responses=ERRORS)
def list_vendors(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[VendorPublic]:
    """The client's vendor master."""
    rows, count = reference.list_vendors(
        services=services, user=user, client_id=client_id, limit=limit, offset=offset
    )
    return Page(data=[VendorPublic.model_validate(r) for r in rows], count=count)


@router.get(
    "/clients/{client_id}/vendor-aliases",
    response_model=Page[VendorAliasPublic],
    responses=ERRORS,
)
def list_vendor_aliases(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    vendor_id: uuid.UUID | None = None,
) -> Page[VendorAliasPublic]:
    """The alias store: imported, learned (who taught it, from which invoice) and manual aliases."""
    rows = reference.list_vendor_aliases(
        services=services, user=user, client_id=client_id, vendor_id=vendor_id
    )
    return Page(data=[VendorAliasPublic.model_validate(r) for r in rows], count=len(rows))


@router.delete(
    "/clients/{client_id}/vendor-aliases/{alias_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERRORS,
)
def remove_vendor_alias(
    client_id: uuid.UUID, alias_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> None:
    """Remove an alias (owners and operators); no invoice is changed or re-opened."""
    reference.remove_vendor_alias(
        services=services, user=user, client_id=client_id, alias_id=alias_id
    )


@router.get(
    "/clients/{client_id}/vendor-hints",
    response_model=Page[VendorHintPublic],
    responses=ERRORS,
)
def list_vendor_hints(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    vendor_id: uuid.UUID | None = None,
) -> Page[VendorHintPublic]:
    """Extraction hints learned from corrections: where each vendor prints each field."""
    rows = reference.list_vendor_hints(
        services=services, user=user, client_id=client_id, vendor_id=vendor_id
    )
    return Page(data=[VendorHintPublic.model_validate(r) for r in rows], count=len(rows))


@router.delete(
    "/clients/{client_id}/vendor-hints/{hint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERRORS,
)
def remove_vendor_hint(
    client_id: uuid.UUID, hint_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> None:
    """Remove a hint (owners and operators); no invoice is changed."""
    reference.remove_vendor_hint(services=services, user=user, client_id=client_id, hint_id=hint_id)


@router.get(
    "/clients/{client_id}/vendor-trust",
    response_model=Page[VendorTrustPublic],
    responses=ERRORS,
)
def list_vendor_trust(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    vendor_id: uuid.UUID | None = None,
) -> Page[VendorTrustPublic]:
    """Each vendor's trust-ladder state: clean streak, paused, what last reset it."""
    rows = trust_ladder.ladder_states(
        services=services, user=user, client_id=client_id, vendor_id=vendor_id
    )
    return Page(data=[VendorTrustPublic.model_validate(r) for r in rows], count=len(rows))


@router.put(
    "/clients/{client_id}/vendors/{vendor_id}/ladder",
    response_model=VendorTrustPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def set_vendor_ladder(
    client_id: uuid.UUID,
    vendor_id: uuid.UUID,
    body: LadderPause,
    user: CurrentUserDep,
    services: ServicesDep,
) -> VendorTrustPublic:
    """Pause or resume straight-through approval for one vendor (owners only, audited)."""
    return VendorTrustPublic.model_validate(
        trust_ladder.set_vendor_paused(
            services=services,
            user=user,
            client_id=client_id,
            vendor_id=vendor_id,
            paused=body.paused,
        )
    )


@router.get(
    "/clients/{client_id}/purchase-orders",
    response_model=Page[PurchaseOrderPublic],
    responses=ERRORS,
)
def list_purchase_orders(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PurchaseOrderPublic]:
    """The client's purchase orders."""
    rows, count = reference.list_purchase_orders(
        services=services, user=user, client_id=client_id, limit=limit, offset=offset
    )
    return Page(data=[PurchaseOrderPublic.model_validate(r) for r in rows], count=count)


@router.get(
    "/clients/{client_id}/goods-receipts",
    response_model=Page[GoodsReceiptPublic],
    responses=problem_responses(401, 403, 404, 422),
)
def list_goods_receipts(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    po_number: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[GoodsReceiptPublic]:
    """The client's goods receipts, optionally only those of one purchase order number."""
    rows, count = reference.list_goods_receipts(
        services=services,
        user=user,
        client_id=client_id,
        po_number=po_number,
        limit=limit,
        offset=offset,
    )
    return Page(data=[GoodsReceiptPublic.model_validate(r) for r in rows], count=count)


@router.get(
    "/clients/{client_id}/match-profiles",
    response_model=Page[MatchProfilePublic],
    responses=ERRORS,
)
def list_profiles(
    client_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[MatchProfilePublic]:
    """Match profile versions of a client, newest first."""
    rows = profiles.list_profiles(services=services, user=user, client_id=client_id)
    return Page(data=[MatchProfilePublic.model_validate(r) for r in rows], count=len(rows))


@router.post(
    "/clients/{client_id}/match-profiles",
    response_model=MatchProfilePublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
def save_profile(
    client_id: uuid.UUID, body: MatchProfileCreate, user: CurrentUserDep, services: ServicesDep
) -> MatchProfilePublic:
    """Save a new profile version (owners and analysts), optionally activating it."""
    try:
        profile = MatchProfile.model_validate(body.profile)
    except ValueError as exc:
        raise ValidationFailed(f"invalid match profile: {exc}") from exc
    row = profiles.save_profile(
        services=services,
        user=user,
        client_id=client_id,
        profile=profile,
        activate=body.activate,
        notes=body.notes,
    )
    return MatchProfilePublic.model_validate(row)


@router.post(
    "/clients/{client_id}/match-profiles/{version}/activate",
    response_model=MatchProfilePublic,
    responses=ERRORS,
)
def activate_profile(
    client_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    user: CurrentUserDep,
    services: ServicesDep,
) -> MatchProfilePublic:
    """Make a profile version the one new matches use."""
    row = profiles.activate_profile(
        services=services, user=user, client_id=client_id, version=version
    )
    return MatchProfilePublic.model_validate(row)


@router.get(
    "/clients/{client_id}/approval-policies",
    response_model=Page[ApprovalPolicyPublic],
    responses=ERRORS,
)
def list_approval_policies(
    client_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[ApprovalPolicyPublic]:
    """Approval policy versions of a client, newest first (none active: the default decides)."""
    rows = approval_policy.list_policies(services=services, user=user, client_id=client_id)
    return Page(data=[ApprovalPolicyPublic.model_validate(r) for r in rows], count=len(rows))


@router.post(
    "/clients/{client_id}/approval-policies",
    response_model=ApprovalPolicyPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
def save_approval_policy(
    client_id: uuid.UUID, body: ApprovalPolicyCreate, user: CurrentUserDep, services: ServicesDep
) -> ApprovalPolicyPublic:
    """Save a new approval policy version (owners), optionally activating it (audited)."""
    row = approval_policy.save_policy(
        services=services,
        user=user,
        client_id=client_id,
        policy=body.policy,
        name=body.name,
        activate=body.activate,
        notes=body.notes,
    )
    return ApprovalPolicyPublic.model_validate(row)


@router.post(
    "/clients/{client_id}/approval-policies/{version}/activate",
    response_model=ApprovalPolicyPublic,
    responses=ERRORS,
)
def activate_approval_policy(
    client_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    user: CurrentUserDep,
    services: ServicesDep,
) -> ApprovalPolicyPublic:
    """Make an approval policy version the one that decides approvals (owners, audited)."""
    row = approval_policy.activate_policy(
        services=services, user=user, client_id=client_id, version=version
    )
    return ApprovalPolicyPublic.model_validate(row)
