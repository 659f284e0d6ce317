"""Role checks done up front, so a refused write is a clear ``Forbidden``/``NotFound``.

RLS stays the enforcement (a bug here cannot leak data); these checks only turn "zero rows
updated" into an error a user understands.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from core.db import tenant_repo
from core.errors import Forbidden, NotFound

WRITERS = ("owner", "operator")
OWNERS = ("owner",)
PROFILE_WRITERS = ("owner", "analyst")


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
