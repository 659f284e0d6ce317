"""Role checks done up front, so a refused write is a clear ``Forbidden``/``NotFound``.

RLS stays the enforcement (a bug here cannot leak data); these checks only turn "zero rows
updated" into an error a user understands.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from core.db import tenant_repo
from core.errors import Forbidden, NotFound

WRITERS = ("owner", "operator")
OWNERS = ("owner",)
PROFILE_WRITERS = ("owner", "analyst")


class ClientOwned(Protocol):
    """A row that belongs to one client (an endpoint, a delivery, a mailbox, an API key)."""

    @property
    def client_id(self) -> uuid.UUID | None: ...


Owned = TypeVar("Owned", bound=ClientOwned)


def require_role(s: Session, client_id: uuid.UUID, roles: Iterable[str] | None = None) -> str:
    """The caller's role; ``NotFound`` for non-members, ``Forbidden`` when not allowed."""
    client = tenant_repo.get_client(s, client_id)
    if client is None or client.role is None:
        raise NotFound("client not found", client_id=str(client_id))
    role = client.role
    allowed = tuple(roles) if roles is not None else None
    if allowed is not None and role not in allowed:
        raise Forbidden(
            f"your role ({role}) may not do this; it needs: {', '.join(allowed)}", role=role
        )
    return role


def require_owned(
    s: Session,
    client_id: uuid.UUID,
    roles: Iterable[str] | None,
    load: Callable[[], Owned | None],
    what: str,
    **ids: uuid.UUID,
) -> Owned:
    """The row ``load`` reads, once the caller's role allows ``roles`` (see ``require_role``).

    ``NotFound("<what> not found", <id>=...)`` when the row is missing, invisible (RLS), or of
    another client: never which.
    """
    require_role(s, client_id, roles)
    try:
        found = load()
    except NoResultFound:
        found = None
    if found is None or found.client_id != client_id:
        raise NotFound(f"{what} not found", **{k: str(v) for k, v in ids.items()})
    return found
