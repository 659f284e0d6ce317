"""API keys per client (issue 17, item 1): owners create, list and revoke them.

A key is generated here and shown once (``CreatedKey.key``); only its visible prefix and its
SHA-256 reach the database, through the ``create_api_key`` door, which also creates the key's
service principal and its membership. Revoking (``revoke_api_key``) removes that membership at
once, so the key's next request, and any job it queued, is refused. A key itself manages no
keys (the doors refuse a service principal, and a key is never an owner).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from core.auth import api_keys as keys
from core.auth.models import CurrentUser
from core.db import api_key_repo
from core.db.integration_records import ApiKey
from core.db.session import user_session
from core.errors import ValidationFailed
from core.workflow.access import OWNERS, require_owned, require_role
from core.workflow.services import Services

KEY_ROLES = ("operator", "analyst", "viewer")
MAX_LIFETIME = dt.timedelta(days=3650)


@dataclass(frozen=True)
class CreatedKey:
    """A new key's record and the key itself (shown this once, never stored)."""

    record: ApiKey
    key: str


def _clean(name: str, role: str, expires_at: dt.datetime | None) -> tuple[str, dt.datetime | None]:
    cleaned = " ".join((name or "").split())
    if not 1 <= len(cleaned) <= 100:
        raise ValidationFailed("give the key a name of 1-100 characters", field="name")
    if role not in KEY_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(KEY_ROLES)}", field="role")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.timezone.utc)
        now = dt.datetime.now(dt.timezone.utc)
        if expires_at <= now:
            raise ValidationFailed("expires_at must be in the future", field="expires_at")
        if expires_at > now + MAX_LIFETIME:
            raise ValidationFailed("expires_at is at most 10 years away", field="expires_at")
    return cleaned, expires_at


def create_key(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    name: str,
    role: str,
    expires_at: dt.datetime | None = None,
) -> CreatedKey:
    """A new key of ``client_id`` with ``role`` (owners only); the key is in the answer only."""
    cleaned, expiry = _clean(name, role, expires_at)
    new = keys.generate()
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        record = api_key_repo.create(
            s, client_id=client_id, name=cleaned, role=role, expires_at=expiry,
            prefix=new.prefix, key_hash=new.key_hash,
        )  # fmt: skip
    return CreatedKey(record, new.key)


def list_keys(*, services: Services, user: CurrentUser, client_id: uuid.UUID) -> list[ApiKey]:
    """The client's keys (active, expired and revoked), newest first (owners only)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, OWNERS)
        return api_key_repo.list_for_client(s, client_id)


def revoke_key(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, key_id: uuid.UUID
) -> ApiKey:
    """Revoke a key of ``client_id`` (owners only); it is refused from its next request on."""
    with user_session(services.engine, user.claims) as s:
        require_owned(
            s, client_id, OWNERS, lambda: api_key_repo.get(s, key_id), "API key", api_key_id=key_id
        )
        return api_key_repo.revoke(s, key_id)


def expire_keys(*, services: Services) -> int:
    """Housekeeping: expired keys lose their membership (their jobs stop too); how many."""
    from core.db.session import service_session

    with service_session(services.engine, "api_keys.expire") as s:
        return api_key_repo.expire(s)
