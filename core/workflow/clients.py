"""Clients (tenants) and their members."""

from __future__ import annotations

import uuid
from typing import Any

from core.auth.models import CurrentUser
from core.db import invoice_repo, tenant_repo
from core.db.session import service_session, user_session
from core.errors import Conflict, NotFound, ValidationFailed
from core.workflow.access import OWNERS, require_role

ROLES = ("owner", "operator", "analyst", "viewer")


def create_client(*, services: Any, user: CurrentUser, name: str) -> dict[str, Any]:
    """Create a client; the creator becomes its owner."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("a client name has 1-200 characters", field="name")
    with user_session(services.engine, user.claims) as s:
        client = tenant_repo.insert_client(s, name=name)
        invoice_repo.insert_audit(
            s, client_id=client["id"], action="client.created", after={"name": name}
        )
    return {**client, "role": "owner"}


def list_clients(*, services: Any, user: CurrentUser) -> list[dict[str, Any]]:
    """Clients the user is a member of, with their role."""
    with user_session(services.engine, user.claims) as s:
        return tenant_repo.list_clients(s)


def get_client(*, services: Any, user: CurrentUser, client_id: uuid.UUID) -> dict[str, Any]:
    """One client the user belongs to."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        client = tenant_repo.get_client(s, client_id)
        assert client is not None
        return client


def list_members(*, services: Any, user: CurrentUser, client_id: uuid.UUID) -> list[dict[str, Any]]:
    """Members of a client (any member may look)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return tenant_repo.list_members(s, client_id)


def _resolve_user(services: Any, user_id: uuid.UUID | None, email: str | None) -> uuid.UUID:
    if user_id is not None:
        return user_id
    if not email:
        raise ValidationFailed("give user_id or email")
    # auth.users is not readable by users; looking up an id by e-mail is a named system task.
    with service_session(services.engine, "members.lookup_user") as s:
        found = tenant_repo.user_id_by_email(s, email)
    if found is None:
        raise NotFound("no user with this e-mail address has signed up")
    return found


def set_member(
    *,
    services: Any,
    user: CurrentUser,
    client_id: uuid.UUID,
    role: str,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    """Add a member with ``role`` or change their role (owners only)."""
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", field="role")
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
    target = _resolve_user(services, user_id, email)
    with user_session(services.engine, user.claims) as s:
        before = {m["user_id"]: m["role"] for m in tenant_repo.list_members(s, client_id)}
        if before.get(target) == "owner" and role != "owner":
            _keep_an_owner(s, client_id)
        try:
            member = tenant_repo.upsert_member(s, client_id=client_id, user_id=target, role=role)
        except NotFound as exc:
            raise NotFound("no such user") from exc
        invoice_repo.insert_audit(
            s,
            client_id=client_id,
            action="member.set",
            before={"user_id": str(target), "role": before.get(target)},
            after={"user_id": str(target), "role": role},
        )
        return member


def _keep_an_owner(s: Any, client_id: uuid.UUID) -> None:
    if tenant_repo.count_owners(s, client_id) <= 1:
        raise Conflict("a client needs at least one owner; make someone else owner first")


def remove_member(
    *, services: Any, user: CurrentUser, client_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Remove a member (owners only; the last owner cannot be removed)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        roles = {m["user_id"]: m["role"] for m in tenant_repo.list_members(s, client_id)}
        if user_id not in roles:
            raise NotFound("not a member of this client")
        if roles[user_id] == "owner":
            _keep_an_owner(s, client_id)
        tenant_repo.delete_member(s, client_id=client_id, user_id=user_id)
        invoice_repo.insert_audit(
            s,
            client_id=client_id,
            action="member.removed",
            before={"user_id": str(user_id), "role": roles[user_id]},
        )


def batch_progress(*, services: Any, user: CurrentUser, batch_id: uuid.UUID) -> dict[str, Any]:
    """A batch with its invoice counts per status and its job counts."""
    with user_session(services.engine, user.claims) as s:
        batch = tenant_repo.get_batch(s, batch_id)
    if batch is None:
        raise NotFound("batch not found")
    total = int(batch["file_count"])
    counts: dict[str, int] = batch["counts"]
    in_flight = sum(counts.get(k, 0) for k in ("received", "extracting", "extracted", "matched"))
    invoices = sum(counts.values())
    batch["processed"] = invoices - in_flight
    batch["total"] = invoices
    batch["rejected_files"] = max(0, total - invoices)
    batch["done"] = in_flight == 0
    batch["jobs"] = services.jobs.batch_jobs(batch_id)
    return batch


def list_batches(
    *, services: Any, user: CurrentUser, client_id: uuid.UUID, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Batches of a client, newest first."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return tenant_repo.list_batches(s, client_id, limit=limit, offset=offset)
