"""The migrated schema's guarantees that the records rely on: RLS on every public table, no
grants to anon, server defaults, and optimistic locking through the invoice doors.

(The ORM models that this file checked against the schema are gone: migrations are the only
schema definition and ``core.db.records`` the repositories' column lists, checked by
``test_records.py``.)"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import invoice_repo, tenant_repo
from core.db.session import user_session
from core.errors import Conflict
from core.workflow.transitions import apply_change, load_invoice


def test_every_table_in_public_has_row_level_security(engine):
    with engine.connect() as conn:
        unprotected = (
            conn.execute(
                text(
                    "select c.relname from pg_class c"
                    " join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'"
                    " and c.relkind in ('r', 'p') and not c.relrowsecurity"
                )
            )
            .scalars()
            .all()
        )
    assert unprotected == []


def test_anon_holds_no_privilege_on_any_public_table(engine):
    with engine.connect() as conn:
        grants = conn.execute(
            text(
                "select table_name, privilege_type from information_schema.role_table_grants"
                " where grantee in ('anon', 'PUBLIC') and table_schema = 'public'"
            )
        ).all()
    assert grants == []


def _seed_invoice(engine, user):
    with user_session(engine, user.claims) as s:
        # A client is created through public.create_client (its creator is not a member until
        # the row exists, so a plain INSERT ... RETURNING is refused by the select policy).
        client = tenant_repo.insert_client(s, name="Record Client")
        file_id = s.execute(
            text(
                "insert into public.files (client_id, object_key, original_name, content_type,"
                " size_bytes, sha256) values (:c, :k, 'a.pdf', 'application/pdf', 10, :h)"
                " returning id"
            ),
            {"c": client.id, "k": f"{client.id}/2026/11/26/a.pdf", "h": "a" * 64},
        ).scalar_one()
        s.execute(
            text("insert into public.vendors (client_id, name) values (:c, 'Muster GmbH')"),
            {"c": client.id},
        )
        # Users insert only the columns an upload names; amounts and status come from the
        # workflow's doors.
        invoice_id = s.execute(
            text("insert into public.invoices (client_id, file_id) values (:c, :f) returning id"),
            {"c": client.id, "f": file_id},
        ).scalar_one()
        invoice = invoice_repo.get_invoice(s, invoice_id)
    assert invoice is not None
    return client, invoice


def test_server_defaults_come_back_in_the_records(engine, make_user):
    user = make_user()
    client, invoice = _seed_invoice(engine, user)
    with user_session(engine, user.claims) as s:
        loaded = invoice_repo.get_invoice(s, invoice.id)
        assert loaded is not None
        assert (loaded.status, loaded.version, loaded.created_by) == ("received", 1, user.id)
        assert (
            s.scalar(text("select created_by from public.clients where id = :c"), {"c": client.id})
            == user.id
        )


def test_a_stale_invoice_update_is_a_conflict(engine, make_user):
    user = make_user()
    _, invoice = _seed_invoice(engine, user)
    with user_session(engine, user.claims) as s:
        first = load_invoice(s, invoice.id)
        changed = apply_change(s, first, action="status.extracting")  # through its door
    assert changed.version == 2
    with pytest.raises(Conflict), user_session(engine, user.claims) as s:
        stale = load_invoice(s, invoice.id)
        apply_change(s, stale, action="status.released", expected_version=invoice.version)
