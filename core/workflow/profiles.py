"""Match profiles per client: list, save a new version, activate one."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import profile_repo
from core.db.records import MatchProfileVersion
from core.db.session import user_session
from core.errors import NotFound
from core.matching.profile import MatchProfile
from core.workflow.access import PROFILE_WRITERS, require_role
from core.workflow.services import Services


def list_profiles(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID
) -> list[MatchProfileVersion]:
    """All profile versions of a client, newest first."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id)
        return profile_repo.list_profiles(s, client_id)


def save_profile(
    *,
    services: Services,
    user: CurrentUser,
    client_id: uuid.UUID,
    profile: MatchProfile,
    activate: bool = False,
    notes: str | None = None,
) -> MatchProfileVersion:
    """Store ``profile`` as the client's next version (profiles are never edited in place)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, PROFILE_WRITERS)
        version = profile_repo.next_version(s, client_id)
        stored = profile.model_copy(update={"version": version})
        row = profile_repo.insert_profile(
            s,
            client_id=client_id,
            version=version,
            name=stored.name,
            profile=stored.model_dump(mode="json"),
            notes=notes or stored.notes or None,
        )
        if activate:  # saving and activating are audited by the database
            row = _activate(s, client_id, version)
        return row


def activate_profile(
    *, services: Services, user: CurrentUser, client_id: uuid.UUID, version: int
) -> MatchProfileVersion:
    """Make ``version`` the client's active profile (the one new matches use)."""
    with user_session(services.engine, user.claims) as s:
        require_role(s, client_id, PROFILE_WRITERS)
        return _activate(s, client_id, version)


def _activate(s: Session, client_id: uuid.UUID, version: int) -> MatchProfileVersion:
    row = profile_repo.activate(s, client_id, version)
    if row is None:
        raise NotFound(f"profile version {version} not found")
    return row
