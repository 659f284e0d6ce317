"""Clients (tenants) and their members."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import tenant_repo
from core.db.records import Batch, Client, Member
from core.db.session import user_session
from core.errors import Conflict, NotFound, ValidationFailed
from core.workflow.access import OWNERS, require_role
from core.workflow.services import Services

ROLES = ("owner", "operator", "analyst", "viewer")


def create_client(*, services: Services, user: CurrentUser, name: str) -> Client:
    """Create a client; the creator becomes its owner."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("a client name has 1-200 characters", field="name")
    with user_session(services.engine, user.claims) as s:
        return tenant_repo.insert_client(s, name=name)  # audited by a trigger; role: owner


def list_clients(*, services: Services, user: CurrentUser) -> list[Client]:
    """Clients the user is a member of, with their role."""
    with user_session(services.engine, user.claims) as s:
        return tenant_repo.list_clients(s)


def get_client(*, services: Services, user: CurrentUser, client_id: uuid.UUID) -> Client:
    """One client the user belongs to."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        client = tenant_repo.get_client(s, client_id)
        assert client is not None
        return client


def list_members(*, services: Services, user: CurrentUser, client_id: uuid.UUID) -> list[Member]:
    """Members of a client (any member may look)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return tenant_repo.list_members(s, client_id)


def set_member(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
) -> Member:
    """Change the role of an existing member (owners only). New members are invited
    (``core.workflow.invitations``) and join by accepting."""
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        before = {m.user_id: m.role for m in tenant_repo.list_members(s, client_id)}
        if user_id not in before:
            raise NotFound("not a member of this client")
        if before[user_id] == "owner" and role != "owner":
            _keep_an_owner(s, client_id)
        member = tenant_repo.update_member_role(s, client_id=client_id, user_id=user_id, role=role)
        if member is None:
            raise NotFound("not a member of this client")
        return member  # the change is audited by a trigger


def _keep_an_owner(s: Session, client_id: uuid.UUID) -> None:
    if tenant_repo.count_owners(s, client_id) <= 1:
        raise Conflict("a client needs at least one owner; make someone else owner first")


def remove_member(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Remove a member (owners only; the last owner cannot be removed)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        roles = {m.user_id: m.role for m in tenant_repo.list_members(s, client_id)}
        if user_id not in roles:
            raise NotFound("not a member of this client")
        if roles[user_id] == "owner":
            _keep_an_owner(s, client_id)
        tenant_repo.delete_member(s, client_id=client_id, user_id=user_id)  # audited by a trigger


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """A batch, its invoices per status, how far processing got, and its queue jobs."""

    id: uuid.UUID
    client_id: uuid.UUID
    name: str | None
    status: str
    file_count: int
    created_at: Any
    counts: dict[str, int]
    total: int  # invoices made from the batch's files
    processed: int  # of them, no longer in flight
    rejected_files: int  # files of the upload that made no invoice
    done: bool
    jobs: dict[str, int] = field(default_factory=dict)


def batch_progress(*, services: Services, user: CurrentUser, batch_id: uuid.UUID) -> BatchProgress:
    """A batch with its invoice counts per status and its job counts."""
    with user_session(services.engine, user.claims) as s:
        batch = tenant_repo.get_batch(s, batch_id)
    if batch is None:
        raise NotFound("batch not found")
    counts = batch.counts
    in_flight = sum(counts.get(k, 0) for k in ("received", "extracting", "extracted", "matched"))
    invoices = sum(counts.values())
    return BatchProgress(
        id=batch.id,
        client_id=batch.client_id,
        name=batch.name,
        status=batch.status,
        file_count=batch.file_count,
        created_at=batch.created_at,
        counts=counts,
        total=invoices,
        processed=invoices - in_flight,
        rejected_files=max(0, batch.file_count - invoices),
        done=in_flight == 0,
        jobs=services.jobs.batch_jobs(batch_id),
    )


def list_batches(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, limit: int = 50, offset: int = 0
) -> list[Batch]:
    """Batches of a client, newest first."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return tenant_repo.list_batches(s, client_id, limit=limit, offset=offset)
