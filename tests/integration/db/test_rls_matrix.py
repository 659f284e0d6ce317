"""The RLS matrix: every table x every actor x both clients x select/insert/update/delete.

Two clients (A, B), a user of each role in each, a signed-in stranger (member of nothing) and
anon. Each attempt runs in its own transaction, exactly as a user session starts (role +
request.jwt.claims), and is rolled back. A *leak* is an attempt that read or changed rows the
actor must not reach; a *wrong denial* is an allowed attempt that failed. Both must be zero.
The matrix and its outcome are printed and written to ``artifacts/rls_matrix.json``.
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
from tests.integration.db.rls_cases import CASES, TableCase, seed_client_rows

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
    if actor.role == "anon":
        return False
    if operation == "insert" and case.insert_by_anyone_signed_in:
        return True
    if actor.client != target:
        return False
    roles = {
        "select": {"owner", "operator", "analyst", "viewer"},
        "insert": case.insert_roles,
        "update": case.update_roles,
        "delete": case.delete_roles,
    }[operation]
    return actor.role in roles


def _attempt(engine, actor: Actor, sql: str, params: dict, operation: str):
    if actor.user is None:
        role, claims = "anon", {"role": "anon"}
    else:
        role, claims = "authenticated", actor.user.claims
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(SET_CLAIMS, {"role": role, "claims": json.dumps(claims)})
            result = conn.execute(text(sql), params)
            rows = result.scalar() if operation == "select" else result.rowcount
            return True, rows, None
        except DBAPIError as exc:
            return False, None, getattr(exc.orig, "sqlstate", None)
        finally:
            trans.rollback()


def test_rls_matrix_has_no_leaks_and_no_wrong_denials(engine, world):
    clients, actors, stranger = world
    attempts: list[Attempt] = []
    for case in CASES:
        for actor in actors:
            for target in ("A", "B"):
                client, ids = clients[target]
                params = {
                    "client": client.id,
                    "rand": uuid.uuid4().hex,
                    "viewer": client.members["viewer"].id,
                    "stranger": stranger.id,
                    **ids,
                }
                for operation in OPERATIONS:
                    sql = getattr(case, operation)
                    ok, rows, state = _attempt(engine, actor, sql, params, operation)
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
                        )
                    )
    leaks = [a for a in attempts if a.effective and not a.allowed]
    wrong_denials = [a for a in attempts if a.allowed and not a.effective]
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
    }
    out = REPO_ROOT / "artifacts" / "rls_matrix.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "summary": summary,
                "leaks": [asdict(a) for a in leaks],
                "wrong_denials": [asdict(a) for a in wrong_denials],
            },
            indent=2,
            default=str,
        )
    )
    print(
        f"\nRLS matrix: {summary['tables']} tables x {summary['actors']} actors x 2 clients x "
        f"{summary['operations']} operations = {summary['attempts']} attempts; "
        f"{summary['leaks']} leaks, {summary['wrong_denials']} wrong denials ({Path(out).name})"
    )
    assert summary["attempts"] == len(CASES) * len(actors) * 2 * len(OPERATIONS)
    assert leaks == [], f"RLS leaks: {[asdict(a) for a in leaks[:10]]}"
    assert wrong_denials == [], f"wrong denials: {[asdict(a) for a in wrong_denials[:10]]}"


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
        ok, rows, _ = _attempt(engine, stranger, sql, params, "select")
        assert ok and rows and rows > 0
    finally:
        with engine.begin() as conn:
            conn.execute(text("drop policy canary on public.vendors"))


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
                ok, rows, state = _attempt(engine, actor, sql, {}, operation)
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
