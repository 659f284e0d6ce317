"""Units of work: user sessions under RLS, and named service sessions.

A user session is one transaction that starts exactly as PostgREST starts a request:
``set_config('role', 'authenticated', true)`` and ``set_config('request.jwt.claims', <claims>,
true)``, so the policies in ``supabase/migrations`` see the same ``auth.uid()`` here as they do
behind Supabase's REST API. Both settings are transaction-local, so a pooled connection never
carries one user's identity into the next unit of work.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.errors import (
    ApprovalBlocked,
    AutoApprovalRefused,
    Conflict,
    Forbidden,
    InvalidTransition,
    InvoiceFlowError,
    NotFound,
    UpstreamError,
    ValidationFailed,
)

log = logging.getLogger(__name__)

USER_ROLES = frozenset({"authenticated", "anon"})
_TASK_NAME = re.compile(r"^[a-z][a-z0-9_.:-]{2,80}$")
# How every user or service unit of work starts (psycopg placeholders: also sent as part of a
# one-message transaction by core/db/upload_repo.py).
SET_CLAIMS_SQL = (
    "select set_config('role', %(role)s, true), set_config('request.jwt.claims', %(claims)s, true)"
)


def _blocked_reasons(detail: str | None) -> list[dict[str, str]]:
    try:
        parsed = json.loads(detail or "[]")
    except ValueError:
        return []
    return [
        {"code": str(r.get("code", "")), "message": str(r.get("message", ""))}
        for r in (parsed if isinstance(parsed, list) else [])
        if isinstance(r, dict)
    ]


def translate_db_error(exc: BaseException) -> InvoiceFlowError:
    """Map a database error to the domain error a caller can act on (never leaks SQL)."""
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None) or ""
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    table = getattr(diag, "table_name", None)
    details = {k: v for k, v in {"constraint": constraint, "table": table}.items() if v}
    if state == "23505":
        return Conflict("this already exists", **details)
    if state == "42501":
        # RLS refusal or missing privilege: the caller's role does not allow this.
        return Forbidden("you are not allowed to do this here", **details)
    if state == "23503":
        return NotFound("a referenced object does not exist or is not visible to you", **details)
    if state == "P0002":
        # A definer door (invoice_transition, invitations...) found nothing the caller may see.
        return NotFound("not found")
    if state == "IFB01":
        # The approval door refused: the policy blocks it. The reasons travel in DETAIL as JSON.
        reasons = _blocked_reasons(getattr(diag, "message_detail", None))
        return ApprovalBlocked(
            "the approval policy blocks this approval: " + "; ".join(r["message"] for r in reasons),
            errors=reasons,
        )
    if state == "IFB02":
        # The trust ladder refused an auto-approval (issue 14); each failed condition in DETAIL.
        reasons = _blocked_reasons(getattr(diag, "message_detail", None))
        return AutoApprovalRefused(
            "the trust ladder refuses this auto-approval: "
            + "; ".join(r["message"] for r in reasons),
            errors=reasons,
        )
    if state == "55000":
        # A door refused a move the object's current state does not allow (an invoice's status,
        # an invitation already answered or expired, a decided invoice changed by table access).
        return InvalidTransition("this is not possible in the object's current state")
    # 22021/22P05: a NUL byte or an unsupported \u0000 escape in user text (text or jsonb);
    # psycopg refuses NUL in text parameters itself, as a DataError without a server sqlstate.
    if state in {"23502", "23514", "22P02", "22001", "22003", "22007", "22008", "22023", "22021",
                 "22P05"} or isinstance(orig, psycopg.DataError):  # fmt: skip
        return ValidationFailed(
            "the data was refused by a database rule", sqlstate=state, **details
        )
    if state in {"40001", "40P01", "55P03"}:
        return Conflict("a concurrent change got there first; retry", sqlstate=state)
    return UpstreamError("database error", sqlstate=state or None)


@contextmanager
def _unit_of_work(engine: Engine, role: str, claims: Mapping[str, Any]) -> Iterator[Session]:
    session = Session(engine, expire_on_commit=False)
    try:
        session.connection().exec_driver_sql(
            SET_CLAIMS_SQL, {"role": role, "claims": claims_json(claims)}
        )
        yield session
        session.commit()
    except (DBAPIError, StatementError) as exc:
        session.rollback()
        raise translate_db_error(exc) from exc
    except StaleDataError as exc:
        # Optimistic locking: the row's version moved on since it was read.
        session.rollback()
        raise Conflict("this changed since you loaded it; reload and retry") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def user_role(claims: Mapping[str, Any]) -> str:
    """The database role a user session takes for these claims (refused if not a user's)."""
    role = str(claims.get("role") or "authenticated")
    if role not in USER_ROLES:
        raise Forbidden(f"a user session cannot run as role {role!r}")
    if role == "authenticated" and not claims.get("sub"):
        raise Forbidden("claims without a subject cannot open a user session")
    return role


@contextmanager
def user_session(engine: Engine, claims: Mapping[str, Any]) -> Iterator[Session]:
    """One transaction as the signed-in user (verified JWT ``claims``), under RLS."""
    with _unit_of_work(engine, user_role(claims), claims) as session:
        yield session


def claims_json(claims: Mapping[str, Any]) -> str:
    """The claims as the ``request.jwt.claims`` setting carries them."""
    return json.dumps(dict(claims), default=str)


@contextmanager
def anon_session(engine: Engine) -> Iterator[Session]:
    """One transaction as the ``anon`` role (no user), as PostgREST does without a token."""
    with _unit_of_work(engine, "anon", {"role": "anon"}) as session:
        yield session


@contextmanager
def service_session(engine: Engine, task: str) -> Iterator[Session]:
    """One transaction as ``service_role`` (bypasses RLS) for the named system ``task`` only."""
    if not _TASK_NAME.match(task):
        raise ValueError(f"service sessions need a task name like 'seed.demo', got {task!r}")
    log.info("service session for task %s", task, extra={"task": task})
    with _unit_of_work(engine, "service_role", {"role": "service_role", "task": task}) as session:
        yield session
