"""Attacks on the alias store (public.vendor_aliases), per role, as PostgREST would send them.

The RLS matrix covers read/insert/update/delete for every role; these add the attacks specific
to aliases: recording one in another user's name, pointing one at another client's vendor, and
editing one (aliases are added or removed, never changed)."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import ROLES, create_client, create_user

pytestmark = pytest.mark.security
SET_CLAIMS = text(
    "select set_config('role', :role, true), set_config('request.jwt.claims', :claims, true)"
)


@pytest.fixture(scope="module")
def world(engine):
    out = {}
    for label in ("A", "B"):
        users = {
            r: create_user(engine, f"{r}-{label}-{uuid.uuid4().hex[:6]}@alias.test") for r in ROLES
        }
        client = create_client(
            engine, users["owner"], {r: u for r, u in users.items() if r != "owner"}
        )
        with engine.begin() as conn:
            vendor = conn.execute(
                text(
                    "insert into public.vendors (client_id, name) values (:c, 'Acme') returning id"
                ),
                {"c": client.id},
            ).scalar_one()
            conn.execute(
                text(
                    "insert into public.vendor_aliases (client_id, vendor_id, value, normalized,"
                    " source) values (:c, :v, 'Acme Old', 'acme old', 'import')"
                ),
                {"c": client.id, "v": vendor},
            )
        out[label] = (client, vendor)
    out["stranger"] = create_user(engine)
    return out


def _try(engine, user, sql: str, params: dict) -> tuple[bool, int | None, str | None]:
    role, claims = ("anon", {"role": "anon"}) if user is None else ("authenticated", user.claims)
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(SET_CLAIMS, {"role": role, "claims": json.dumps(claims)})
            result = conn.execute(text(sql), params)
            return True, result.rowcount, None
        except DBAPIError as exc:
            return False, None, getattr(exc.orig, "sqlstate", None)
        finally:
            trans.rollback()


ACTORS = [*ROLES, "outsider", "anon"]


def _actor(world, who: str):
    client, _ = world["A"]
    if who == "outsider":
        return world["stranger"]
    if who == "anon":
        return None
    return client.members[who]


@pytest.mark.parametrize("who", ACTORS)
def test_nobody_records_an_alias_in_another_users_name(engine, world, who) -> None:
    client, vendor = world["A"]
    victim = client.members["owner"] if who != "owner" else client.members["operator"]
    ok, _, state = _try(
        engine,
        _actor(world, who),
        "insert into public.vendor_aliases (client_id, vendor_id, value, normalized, created_by)"
        " values (:c, :v, 'Forged', 'forged', :victim)",
        {"c": client.id, "v": vendor, "victim": victim.id},
    )
    assert not ok and state == "42501"


@pytest.mark.parametrize("who", ACTORS)
def test_nobody_points_an_alias_of_their_client_at_another_clients_vendor(
    engine, world, who
) -> None:
    client, _ = world["A"]
    _, other_vendor = world["B"]
    ok, _, state = _try(
        engine,
        _actor(world, who),
        "insert into public.vendor_aliases (client_id, vendor_id, value, normalized)"
        " values (:c, :v, 'Cross', 'cross')",
        {"c": client.id, "v": other_vendor},
    )
    assert not ok
    # writers pass RLS and hit the composite foreign key; everyone else is refused by RLS
    assert state == ("23503" if who in ("owner", "operator") else "42501")


@pytest.mark.parametrize("who", ACTORS)
def test_nobody_edits_an_alias(engine, world, who) -> None:
    client, _ = world["A"]
    ok, _, state = _try(
        engine,
        _actor(world, who),
        "update public.vendor_aliases set value = 'Edited' where client_id = :c",
        {"c": client.id},
    )
    assert not ok and state == "42501"


@pytest.mark.parametrize("who", ACTORS)
def test_only_owners_and_operators_remove_aliases_and_only_their_clients(
    engine, world, who
) -> None:
    actor = _actor(world, who)
    for label, own in (("A", True), ("B", False)):
        client, _ = world[label]
        ok, rows, _ = _try(
            engine,
            actor,
            "delete from public.vendor_aliases where client_id = :c",
            {"c": client.id},
        )
        removed = bool(ok and rows)
        assert removed == (own and who in ("owner", "operator")), (who, label)


# Learned aliases (issue 14): who taught it is the database's, and the invoice it was learned from
# must be one of the alias's own client.


@pytest.mark.parametrize("who", ACTORS)
def test_nobody_forges_who_taught_an_alias(engine, world, who) -> None:
    client, vendor = world["A"]
    ok, _, state = _try(
        engine,
        _actor(world, who),
        "insert into public.vendor_aliases (client_id, vendor_id, value, normalized, source,"
        " learned_from) values (:c, :v, 'Forged', 'forged', 'learned', 'ceo@example.com')",
        {"c": client.id, "v": vendor},
    )
    assert not ok and state == "42501"


@pytest.mark.parametrize("who", ACTORS)
def test_nobody_cites_another_clients_invoice_as_the_source(engine, world, who) -> None:
    client, vendor = world["A"]
    other, _ = world["B"]
    with engine.begin() as conn:
        other_invoice = conn.execute(
            text("insert into public.invoices (client_id) values (:c) returning id"),
            {"c": other.id},
        ).scalar_one()
    ok, _, state = _try(
        engine,
        _actor(world, who),
        "insert into public.vendor_aliases (client_id, vendor_id, value, normalized, source,"
        " source_invoice_id) values (:c, :v, 'Cross', 'cross', 'learned', :i)",
        {"c": client.id, "v": vendor, "i": other_invoice},
    )
    assert not ok
    assert state == ("23503" if who in ("owner", "operator") else "42501")


def test_the_teacher_is_stamped_from_the_signed_in_user(engine, world) -> None:
    client, vendor = world["A"]
    operator = client.members["operator"]
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(SET_CLAIMS, {"role": "authenticated", "claims": json.dumps(operator.claims)})
        stamped = conn.execute(
            text(
                "insert into public.vendor_aliases (client_id, vendor_id, value, normalized,"
                " source) values (:c, :v, 'Taught', 'taught', 'learned')"
                " returning learned_from, created_by"
            ),
            {"c": client.id, "v": vendor},
        ).one()
        trans.rollback()
    assert tuple(stamped) == (operator.email, operator.id)
