"""Database rules beyond the matrix: append-only audit, cross-client references, storage keys."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db.session import anon_session, service_session, user_session
from core.errors import Forbidden, NotFound


def test_audit_events_cannot_be_changed_even_by_the_service_role(engine, role_users):
    with user_session(engine, role_users.members["operator"].claims) as s:  # audited by trigger
        s.execute(
            text("insert into public.vendors (client_id, name, iban) values (:c, 'V', 'DE1')"),
            {"c": role_users.id},
        )
    for statement in (
        "update public.audit_events set action = 'y' where client_id = :c",
        "delete from public.audit_events where client_id = :c",
    ):
        with pytest.raises(Forbidden), service_session(engine, "tests.audit_tamper") as s:
            s.execute(text(statement), {"c": role_users.id})
    # The table owner (superuser here) is stopped by the trigger.
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(
            text("delete from public.audit_events where client_id = :c"), {"c": role_users.id}
        )


def test_audit_events_cannot_be_written_in_someone_elses_name(engine, role_users):
    other = role_users.members["viewer"].id
    with pytest.raises(Forbidden), user_session(engine, role_users.members["operator"].claims) as s:
        s.execute(
            text(
                "insert into public.audit_events (client_id, actor_id, action) values (:c, :a, 'x')"
            ),
            {"c": role_users.id, "a": other},
        )


def test_rows_cannot_reference_another_clients_rows(engine, make_user, make_client):
    owner = make_user()
    a, b = make_client(owner), make_client(owner)  # one user owning both: RLS alone would allow it
    with user_session(engine, owner.claims) as s:
        vendor_b = s.execute(
            text(
                "insert into public.vendors (client_id, name) values (:c, 'B Vendor') returning id"
            ),
            {"c": b.id},
        ).scalar_one()
    with pytest.raises(NotFound), user_session(engine, owner.claims) as s:
        s.execute(
            text(
                "insert into public.purchase_orders (client_id, vendor_id, po_number)"
                " values (:c, :v, 'PO-X')"
            ),
            {"c": a.id, "v": vendor_b},
        )


def test_a_member_cannot_move_rows_into_a_client_they_do_not_belong_to(
    engine, role_users, make_user, make_client
):
    other = make_client(make_user())
    owner = role_users.members["owner"]
    with user_session(engine, owner.claims) as s:
        s.execute(
            text("insert into public.batches (client_id, name) values (:c, 'mine')"),
            {"c": role_users.id},
        )
    with pytest.raises(Forbidden), user_session(engine, owner.claims) as s:
        s.execute(
            text("update public.batches set client_id = :o where client_id = :c"),
            {"o": other.id, "c": role_users.id},
        )


def test_a_malformed_storage_key_is_invisible_not_an_error(engine, role_users):
    with service_session(engine, "tests.storage_odd_key") as s:
        s.execute(
            text(
                "insert into storage.objects (bucket_id, name)"
                " values ('invoices', 'not-a-uuid/x.pdf')"
            )
        )
    with user_session(engine, role_users.members["viewer"].claims) as s:
        names = s.execute(
            text("select name from storage.objects where name = 'not-a-uuid/x.pdf'")
        ).all()
    assert names == []


def test_viewer_cannot_upload_but_operator_can(engine, role_users):
    key = f"{role_users.id}/2026/11/26/up.pdf"
    insert = text(
        "insert into storage.objects (bucket_id, name, owner) values ('invoices', :k, auth.uid())"
    )
    with pytest.raises(Forbidden), user_session(engine, role_users.members["viewer"].claims) as s:
        s.execute(insert, {"k": key})
    with user_session(engine, role_users.members["operator"].claims) as s:
        s.execute(insert, {"k": key})
    with user_session(engine, role_users.members["viewer"].claims) as s:
        assert (
            s.execute(
                text("select count(*) from storage.objects where name = :k"), {"k": key}
            ).scalar()
            == 1
        )


def test_only_owners_manage_members_and_nobody_else_can_promote_themselves(engine, role_users):
    operator = role_users.members["operator"]
    with user_session(engine, operator.claims) as s:
        changed = s.execute(
            text(
                "update public.client_members set role = 'owner'"
                " where user_id = :u and client_id = :c"
            ),
            {"u": operator.id, "c": role_users.id},
        ).rowcount
    assert changed == 0


def test_anon_cannot_call_the_membership_function(engine, role_users):
    with pytest.raises(Forbidden), anon_session(engine) as s:
        s.execute(text("select public.has_client_role(:c)"), {"c": role_users.id})
