"""User and service sessions: claims as PostgREST sets them, transaction scope, error mapping."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db.session import anon_session, service_session, user_session
from core.errors import Conflict, Forbidden, ValidationFailed


def test_user_session_sets_role_and_claims_like_postgrest(engine, make_user):
    user = make_user()
    with user_session(engine, user.claims) as s:
        row = s.execute(
            text("select current_user, auth.uid(), auth.role(), auth.jwt() ->> 'email'")
        ).one()
    assert row == ("authenticated", user.id, "authenticated", user.email)


def test_claims_do_not_leak_into_the_next_unit_of_work(engine, make_user):
    user = make_user()
    with user_session(engine, user.claims):
        pass
    with engine.connect() as conn:
        for _ in range(3):  # whichever pooled connection we get
            assert conn.execute(text("select auth.uid()")).scalar() is None
            assert conn.execute(text("select current_user")).scalar() != "authenticated"
            conn.rollback()


def test_service_session_runs_as_service_role_for_named_tasks_only(engine):
    with service_session(engine, "tests.check") as s:
        assert s.execute(text("select current_user")).scalar() == "service_role"
    with pytest.raises(ValueError), service_session(engine, "x"):
        pass


def test_user_session_refuses_service_role_claims(engine, make_user):
    claims = {**make_user().claims, "role": "service_role"}
    with pytest.raises(Forbidden), user_session(engine, claims):
        pass


def test_anon_session_sees_no_clients(engine, make_user, make_client):
    make_client(make_user())
    with pytest.raises(Forbidden), anon_session(engine) as s:
        s.execute(text("select count(*) from public.clients")).scalar()


def test_unique_violation_becomes_conflict_and_rolls_back(engine, make_user):
    user = make_user()
    with pytest.raises(Conflict), service_session(engine, "tests.duplicate") as s:
        s.execute(
            text("insert into auth.users (id, email) values (gen_random_uuid(), :e)"),
            {"e": user.email},
        )


def test_creating_a_client_makes_the_creator_its_owner(engine, make_user):
    user = make_user()
    with user_session(engine, user.claims) as s:
        client_id = s.execute(text("select id from public.create_client('Acme GmbH')")).scalar()
    with user_session(engine, user.claims) as s:
        role = s.execute(
            text(
                "select role::text from public.client_members where client_id = :c and user_id = :u"
            ),
            {"c": client_id, "u": user.id},
        ).scalar()
    assert role == "owner"


def test_a_refused_value_becomes_validation_failed(engine, role_users):
    with (
        pytest.raises(ValidationFailed) as caught,
        user_session(engine, role_users.members["operator"].claims) as s,
    ):
        s.execute(
            text(
                "insert into public.vendors (client_id, name, country)"
                " values (:c, 'V', 'teleported')"
            ),
            {"c": role_users.id},
        )
    assert caught.value.details["constraint"] == "vendors_country_check"
    assert "teleported" not in caught.value.message  # no SQL or data echoed to the user
