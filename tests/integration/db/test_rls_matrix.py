"""The RLS matrix: every table x every actor x both clients x select/insert/update/delete, plus
an UPDATE of every protected column and a call of every function a signed-in user may call.

Two clients (A, B), a user of each role in each, a signed-in stranger (member of nothing) and
anon. Each attempt runs in its own transaction, exactly as a user session starts (role +
request.jwt.claims), and is rolled back. A *leak* is an attempt that read or changed rows the
actor must not reach (an unexpected success); a *wrong denial* is an allowed attempt that
failed; an *unaudited change* is an effective write of something audited (money, status, IBAN,
approval, membership, profiles) that left no audit event. All three must be zero. The matrix and
its outcome are printed and written to ``artifacts/rls_matrix.json``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import REPO_ROOT, ROLES, TestClient, TestUser, create_client, create_user
from tests.integration.db.rls_cases import (
    CALLS,
    CASES,
    PROTECTED,
    CallCase,
    TableCase,
    seed_client_rows,
)

pytestmark = pytest.mark.security

OPERATIONS = ("select", "insert", "update", "delete")
SET_CLAIMS = text(
    "select set_config('role', :role, true), set_config('request.jwt.claims', :claims, true)"
)


@dataclass(frozen=True)
class Actor:
    label: str
    client: str | None  # "A", "B" or None (stranger, anon)
    role: str | None  # member role, "stranger" or "anon"
    user: TestUser | None


@dataclass
class Attempt:
    table: str
    actor: str
    target: str
    operation: str
    allowed: bool
    ok: bool
    rows: int | None
    sqlstate: str | None
    must_audit: bool = False
    audit_events: int = 0

    @property
    def effective(self) -> bool:
        """Did it read or change anything?"""
        if not self.ok:
            return False
        if self.operation == "insert":
            return True
        return (self.rows or 0) > 0


@pytest.fixture(scope="module")
def world(engine):
    clients: dict[str, tuple[TestClient, dict[str, uuid.UUID]]] = {}
    for label in ("A", "B"):
        users = {
            role: create_user(engine, f"{role}-{label}-{uuid.uuid4().hex[:6]}@rls.test")
            for role in ROLES
        }
        client = create_client(
            engine,
            users["owner"],
            {r: u for r, u in users.items() if r != "owner"},
            f"Client {label}",
        )
        with engine.begin() as conn:  # table owner: setup only
            ids = seed_client_rows(conn, client.id)
        clients[label] = (client, ids)
    stranger = create_user(engine)
    actors = [
        Actor(f"{label}:{role}", label, role, clients[label][0].members[role])
        for label in ("A", "B")
        for role in ROLES
    ]
    actors += [Actor("stranger", None, "stranger", stranger), Actor("anon", None, "anon", None)]
    return clients, actors, stranger


def _allowed(case: TableCase, operation: str, actor: Actor, target: str) -> bool:
    if actor.role == "anon" or actor.client != target:
        return False
    roles = {
        "select": case.select_roles,
        "insert": case.insert_roles,
        "update": case.update_roles,
        "delete": case.delete_roles,
    }[operation]
    return actor.role in roles


AUDIT_COUNT = text("select count(*) from public.audit_events")


def _attempt(engine, actor: Actor, sql: str, params: dict, operation: str):
    """(ok, rows, sqlstate, audit events written) of one rolled-back attempt as ``actor``."""
    if actor.user is None:
        role, claims = "anon", {"role": "anon"}
    else:
        role, claims = "authenticated", actor.user.claims
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            events = conn.execute(AUDIT_COUNT).scalar_one()  # as the owner: every event
            conn.execute(SET_CLAIMS, {"role": role, "claims": json.dumps(claims)})
            result = conn.execute(text(sql), params)
            rows = result.scalar() if operation in ("select", "call") else result.rowcount
            conn.execute(text("reset role"))
            written = conn.execute(AUDIT_COUNT).scalar_one() - events
            return True, rows, None, written
        except DBAPIError as exc:
            return False, None, getattr(exc.orig, "sqlstate", None), 0
        finally:
            trans.rollback()


def _params(clients, stranger, target: str) -> dict:
    client, ids = clients[target]
    return {
        "client": client.id,
        "rand": uuid.uuid4().hex,
        "owner": client.members["owner"].id,
        "viewer": client.members["viewer"].id,
        "stranger": stranger.id,
        **ids,
    }


def _write_artifact(name: str, summary: dict, **lists: list[Attempt]) -> Path:
    out = REPO_ROOT / "artifacts" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {"summary": summary, **{k: [asdict(a) for a in v] for k, v in lists.items()}},
            indent=2,
            default=str,
        )
    )
    return out


def test_rls_matrix_has_no_leaks_and_no_wrong_denials(engine, world):
    clients, actors, stranger = world
    attempts: list[Attempt] = []
    for case in CASES:
        for actor in actors:
            for target in ("A", "B"):
                params = _params(clients, stranger, target)
                for operation in OPERATIONS:
                    sql = getattr(case, operation)
                    ok, rows, state, events = _attempt(engine, actor, sql, params, operation)
                    attempts.append(
                        Attempt(
                            case.table,
                            actor.label,
                            target,
                            operation,
                            _allowed(case, operation, actor, target),
                            ok,
                            rows,
                            state,
                            operation in case.audited,
                            events,
                        )
                    )
    leaks = [a for a in attempts if a.effective and not a.allowed]
    wrong_denials = [a for a in attempts if a.allowed and not a.effective]
    unaudited = [a for a in attempts if a.effective and a.must_audit and a.audit_events == 0]
    summary = {
        "tables": len(CASES),
        "actors": len(actors),
        "targets": 2,
        "operations": len(OPERATIONS),
        "attempts": len(attempts),
        "allowed": sum(a.allowed for a in attempts),
        "denied": sum(not a.allowed for a in attempts),
        "leaks": len(leaks),
        "wrong_denials": len(wrong_denials),
        "unaudited_changes": len(unaudited),
    }
    out = _write_artifact(
        "rls_matrix.json", summary, leaks=leaks, wrong_denials=wrong_denials, unaudited=unaudited
    )
    print(
        f"\nRLS matrix: {summary['tables']} tables x {summary['actors']} actors x 2 clients x "
        f"{summary['operations']} operations = {summary['attempts']} attempts; "
        f"{summary['leaks']} leaks, {summary['wrong_denials']} wrong denials, "
        f"{summary['unaudited_changes']} unaudited changes ({Path(out).name})"
    )
    assert summary["attempts"] == len(CASES) * len(actors) * 2 * len(OPERATIONS)
    assert leaks == [], f"RLS leaks: {[asdict(a) for a in leaks[:10]]}"
    assert wrong_denials == [], f"wrong denials: {[asdict(a) for a in wrong_denials[:10]]}"
    assert unaudited == [], f"unaudited changes: {[asdict(a) for a in unaudited[:10]]}"


def test_no_role_updates_a_protected_column_by_table_access(engine, world):
    """Status, money, IBAN, reviewer, creators, tenant and file ids: nobody, by table access."""
    clients, actors, stranger = world
    attempts = [
        Attempt(name, actor.label, target, "update", False, *_attempt(
            engine, actor, sql, _params(clients, stranger, target), "update"
        )[:3])
        for name, sql in PROTECTED
        for actor in actors
        for target in ("A", "B")
    ]  # fmt: skip
    leaks = [a for a in attempts if a.effective]
    owners = [a for a in attempts if a.actor.endswith(":owner") and a.target == a.actor[0]]
    out = _write_artifact(
        "rls_protected_columns.json",
        {"updates": len(PROTECTED), "attempts": len(attempts), "leaks": len(leaks)},
        leaks=leaks,
    )
    print(
        f"\nprotected columns: {len(PROTECTED)} updates x {len(actors)} actors x 2 clients = "
        f"{len(attempts)} attempts; {len(leaks)} changed something ({out.name})"
    )
    assert len(attempts) == len(PROTECTED) * len(actors) * 2
    assert leaks == [], f"protected columns changed: {[asdict(a) for a in leaks[:10]]}"
    # The owner of the target is refused by the database, not by an empty WHERE.
    assert all(a.sqlstate in ("42501", "55000") for a in owners), [
        asdict(a) for a in owners if a.sqlstate not in ("42501", "55000")
    ]


def _call_allowed(call: CallCase, actor: Actor, target: str) -> bool:
    if actor.user is None:
        return False
    if call.anyone_signed_in:
        return True
    return actor.client == target and actor.role in call.roles


def test_every_callable_function_works_for_its_roles_only_and_audits(engine, world):
    clients, actors, stranger = world
    attempts: list[Attempt] = []
    for call in CALLS:
        for actor in actors:
            for target in ("A", "B"):
                ok, rows, state, events = _attempt(
                    engine, actor, call.sql, _params(clients, stranger, target), "call"
                )
                attempts.append(
                    Attempt(
                        call.name,
                        actor.label,
                        target,
                        "call",
                        _call_allowed(call, actor, target),
                        ok,
                        rows,
                        state,
                        call.audited,
                        events,
                    )
                )
    leaks = [a for a in attempts if a.effective and not a.allowed]
    wrong_denials = [a for a in attempts if a.allowed and not a.effective]
    unaudited = [a for a in attempts if a.effective and a.must_audit and a.audit_events == 0]
    out = _write_artifact(
        "rls_calls.json",
        {
            "functions": len(CALLS),
            "attempts": len(attempts),
            "leaks": len(leaks),
            "wrong_denials": len(wrong_denials),
            "unaudited_changes": len(unaudited),
        },
        leaks=leaks,
        wrong_denials=wrong_denials,
        unaudited=unaudited,
    )
    print(
        f"\ncallable functions: {len(CALLS)} calls x {len(actors)} actors x 2 clients = "
        f"{len(attempts)} attempts; {len(leaks)} leaks, {len(wrong_denials)} wrong denials, "
        f"{len(unaudited)} unaudited changes ({out.name})"
    )
    assert leaks == [], f"unexpected successes: {[asdict(a) for a in leaks[:10]]}"
    assert wrong_denials == [], f"wrong denials: {[asdict(a) for a in wrong_denials[:10]]}"
    assert unaudited == [], f"unaudited changes: {[asdict(a) for a in unaudited[:10]]}"


# Functions in public a signed-in user may execute: the doors and readers above, plus the
# membership helpers policies use. Anything else (trigger functions, the doors' internals) must
# not be callable, and anon may call nothing here.
USER_CALLABLE = {
    "auto_approval_reasons", "set_vendor_ladder_paused",
    "activate_approval_policy", "approval_code_blocks", "approval_policy_of",
    "approval_policy_valid", "approval_reasons", "client_user_emails",
    "create_vendor_from_invoice", "default_approval_policy", "iban_valid", "invoice_checks",
    "invoice_line_exceptions",
    "money_text",  # pure: formats an amount for the reasons' messages
    "activate_match_profile", "answer_client_invitation", "create_api_key", "create_client",
    "create_export_job", "create_mailbox", "create_webhook_endpoint", "delete_mailbox",
    "delete_webhook_endpoint", "my_mailbox_ids", "update_mailbox",
    "redeliver_webhook",
    "update_webhook_endpoint",
    "enqueue_invoice_processing", "has_client_role", "invite_client_member",
    "invoice_correct", "invoice_ids_by_vendor", "invoice_record_exceptions", "invoice_resplit",
    "invoice_split", "invoice_transition", "member_client_ids",
    "my_client_invitations", "record_reference_import", "record_upload", "revoke_api_key",
    "revoke_client_invitation", "storage_client_id", "verified_email",
}  # fmt: skip


def test_only_the_reviewed_functions_are_callable_by_users(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select p.proname, has_function_privilege('authenticated', p.oid, 'execute'),"
                " has_function_privilege('anon', p.oid, 'execute')"
                " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
                " where n.nspname = 'public' and p.proname not like 'procrastinate\\_%'"
            )
        ).all()
    callable_by_users = {name for name, auth, _ in rows if auth}
    assert callable_by_users == USER_CALLABLE
    assert [name for name, _, anon in rows if anon] == []
    assert {c.name.split(" ")[0].split(":")[0] for c in CALLS} <= USER_CALLABLE


def test_the_matrix_harness_detects_a_leaky_policy(engine, world):
    """Guard against a matrix that cannot fail: a permissive policy must show up as a leak."""
    clients, actors, _ = world
    stranger = next(a for a in actors if a.label == "stranger")
    sql = "select count(*) from public.vendors where client_id = :client"
    params = {"client": clients["A"][0].id}
    assert _attempt(engine, stranger, sql, params, "select")[1] == 0
    with engine.begin() as conn:
        conn.execute(
            text("create policy canary on public.vendors for select to authenticated using (true)")
        )
    try:
        ok, rows, _, _ = _attempt(engine, stranger, sql, params, "select")
        assert ok and rows and rows > 0
    finally:
        with engine.begin() as conn:
            conn.execute(text("drop policy canary on public.vendors"))


def test_the_matrix_harness_detects_an_unaudited_change(engine, world):
    """Guard against an audit check that cannot fail: with the vendors' bank-details trigger off,
    an IBAN change must show up as effective and unaudited."""
    clients, actors, stranger = world
    operator = next(a for a in actors if a.label == "A:operator")
    sql = "update public.vendors set iban = 'XX00CANARY' where client_id = :client"
    params = _params(clients, stranger, "A")
    assert _attempt(engine, operator, sql, params, "update")[3] > 0
    with engine.begin() as conn:
        conn.execute(text("alter table public.vendors disable trigger vendors_audit_bank"))
    try:
        ok, rows, _, events = _attempt(engine, operator, sql, params, "update")
        assert ok and rows and events == 0
    finally:
        with engine.begin() as conn:
            conn.execute(text("alter table public.vendors enable trigger vendors_audit_bank"))


def test_every_other_public_table_is_closed_to_users(engine, world):
    """Tables outside the matrix (job queue, rate limits, later additions) give users nothing."""
    _, actors, _ = world
    covered = {c.table for c in CASES}
    with engine.connect() as conn:
        others = [
            f"public.{name}"
            for name in conn.execute(
                text(
                    "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                    " where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1"
                )
            ).scalars()
            if f"public.{name}" not in covered
        ]
    assert any(t.startswith("public.procrastinate_") for t in others)
    attempts, leaks = 0, []
    for table in others:
        for actor in actors:
            for operation, sql in (
                ("select", f"select count(*) from {table}"),
                ("insert", f"insert into {table} default values"),
                ("delete", f"delete from {table}"),
            ):
                ok, rows, state, _ = _attempt(engine, actor, sql, {}, operation)
                attempts += 1
                if ok or state != "42501":
                    leaks.append((table, actor.label, operation, ok, rows, state))
    print(
        f"\nclosed tables: {len(others)} tables x {len(actors)} actors x 3 operations = "
        f"{attempts} attempts; {len(leaks)} not refused with 42501"
    )
    assert leaks == [], (
        "tables reachable by users but missing from the RLS matrix; add a TableCase for them in "
        f"tests/integration/db/rls_cases.py: {sorted({leak[0] for leak in leaks})}"
    )
