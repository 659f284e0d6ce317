"""IMAP mailboxes of a client: owners configure them; owners and operators see their log."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.v1.schemas import (
    MailboxCreate,
    MailboxMessagePublic,
    MailboxPublic,
    MailboxUpdate,
    Page,
)
from core.workflow import mailboxes

router = APIRouter(tags=["mailboxes"])
ERRORS = problem_responses(401, 403, 404)


@router.post(
    "/clients/{client_id}/mailboxes",
    response_model=MailboxPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
def create_mailbox(
    client_id: uuid.UUID, body: MailboxCreate, user: CurrentUserDep, services: ServicesDep
) -> MailboxPublic:
    """Add a mailbox (owners only): a worker polls it and uploads the invoices it receives."""
    row = mailboxes.create_mailbox(
        services=services, user=user, client_id=client_id, **body.model_dump()
    )
    return MailboxPublic.model_validate(row)


@router.get("/clients/{client_id}/mailboxes", response_model=Page[MailboxPublic], responses=ERRORS)
def list_mailboxes(
    client_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> Page[MailboxPublic]:
    """The client's mailboxes with their last poll (owners and operators)."""
    rows = mailboxes.list_mailboxes(services=services, user=user, client_id=client_id)
    return Page(data=[MailboxPublic.model_validate(r) for r in rows], count=len(rows))


@router.patch(
    "/clients/{client_id}/mailboxes/{mailbox_id}",
    response_model=MailboxPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def update_mailbox(
    client_id: uuid.UUID,
    mailbox_id: uuid.UUID,
    body: MailboxUpdate,
    user: CurrentUserDep,
    services: ServicesDep,
) -> MailboxPublic:
    """Change a mailbox (owners only)."""
    row = mailboxes.update_mailbox(
        services=services, user=user, client_id=client_id, mailbox_id=mailbox_id,
        **body.model_dump(exclude_unset=True),
    )  # fmt: skip
    return MailboxPublic.model_validate(row)


@router.delete(
    "/clients/{client_id}/mailboxes/{mailbox_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERRORS,
)
def delete_mailbox(
    client_id: uuid.UUID, mailbox_id: uuid.UUID, user: CurrentUserDep, services: ServicesDep
) -> None:
    """Delete a mailbox (owners only); its mail stays on the server."""
    mailboxes.delete_mailbox(
        services=services, user=user, client_id=client_id, mailbox_id=mailbox_id
    )


@router.get(
    "/clients/{client_id}/mailboxes/{mailbox_id}/messages",
    response_model=Page[MailboxMessagePublic],
    responses=ERRORS,
)
def list_mailbox_messages(
    client_id: uuid.UUID,
    mailbox_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    outcome: Literal["processed", "failed", "retry", "already_done"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[MailboxMessagePublic]:
    """What happened to each message, newest first; ``outcome=failed`` lists the failures."""
    rows = mailboxes.list_messages(
        services=services, user=user, client_id=client_id, mailbox_id=mailbox_id,
        outcome=outcome, limit=limit, offset=offset,
    )  # fmt: skip
    return Page(data=[MailboxMessagePublic.model_validate(r) for r in rows], count=len(rows))
