"""SQL for versioned match profiles."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from core.db.records import MatchProfileVersion, columns

_COLUMNS = columns(MatchProfileVersion)


def list_profiles(s: Session, client_id: UUID) -> list[MatchProfileVersion]:
    """Profile versions of a client, newest first."""
    rows = s.execute(
        text(
            f"select {_COLUMNS} from public.match_profiles p where p.client_id = :c"  # noqa: S608
            " order by p.version desc"
        ),
        {"c": client_id},
    )
    return [MatchProfileVersion.from_row(r) for r in rows.mappings()]


def next_version(s: Session, client_id: UUID) -> int:
    """The next free version number (the unique constraint catches a race)."""
    return int(
        s.execute(
            text(
                "select coalesce(max(version), 0) + 1 from public.match_profiles"
                " where client_id = :c"
            ),
            {"c": client_id},
        ).scalar_one()
    )


def insert_profile(
    s: Session,
    *,
    client_id: UUID,
    version: int,
    name: str,
    profile: dict[str, Any],
    notes: str | None,
) -> MatchProfileVersion:
    """Insert one profile version (inactive)."""
    row = s.execute(
        text(
            "insert into public.match_profiles as p (client_id, version, name, profile, notes)"  # noqa: S608 - fixed column list
            f" values (:c, :v, :n, :p, :notes) returning {_COLUMNS}"
        ).bindparams(bindparam("p", type_=JSONB)),
        {"c": client_id, "v": version, "n": name, "p": profile, "notes": notes},
    )
    return MatchProfileVersion.from_row(row.mappings().one())


def activate(s: Session, client_id: UUID, version: int) -> MatchProfileVersion | None:
    """Make ``version`` the active profile (``public.activate_match_profile``, which audits it);
    None if it does not exist."""
    exists = s.execute(
        text("select 1 from public.match_profiles where client_id = :c and version = :v"),
        {"c": client_id, "v": version},
    ).first()
    if exists is None:
        return None
    row = s.execute(
        text(
            f"select {_COLUMNS} from public.activate_match_profile(:c, :v) p"  # noqa: S608 - fixed
        ),
        {"c": client_id, "v": version},
    )
    return MatchProfileVersion.from_row(row.mappings().one())
