"""ORM models agree with the migrated schema, and behave (defaults, optimistic locking)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from core.db import tenant_repo
from core.db.models import Base, Client, File, Invoice, Vendor
from core.db.session import user_session
from core.errors import Conflict


def test_every_model_column_exists_in_the_database_with_the_same_nullability(engine):
    inspector = inspect(engine)
    mismatches = []
    for table in Base.metadata.sorted_tables:
        db_columns = {c["name"]: c for c in inspector.get_columns(table.name, schema=table.schema)}
        for column in table.columns:
            if column.name not in db_columns:
                mismatches.append(f"{table.fullname}.{column.name} missing in the database")
            elif not column.primary_key and column.nullable != db_columns[column.name]["nullable"]:
                mismatches.append(f"{table.fullname}.{column.name} nullability differs")
    assert mismatches == []


def test_every_public_table_except_the_queue_has_a_model(engine):
    tables = set(inspect(engine).get_table_names(schema="public"))
    modelled = {t.name for t in Base.metadata.sorted_tables if t.schema == "public"}
    # Infrastructure tables used only by service_role (job queue, API rate-limit counters), and
    # the workflow's transition table and action registry, read only by the database's doors.
    infra = {t for t in tables if t.startswith("procrastinate_")} | {
        "api_rate_limits",
        "invoice_status_transitions",
        "invoice_actions",
    }
    assert tables - infra - modelled == set()


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
        client = s.get(Client, tenant_repo.insert_client(s, name="ORM Client")["id"])
        assert client is not None
        f = File(
            client_id=client.id,
            object_key=f"{client.id}/2026/11/26/a.pdf",
            original_name="a.pdf",
            content_type="application/pdf",
            size_bytes=10,
            sha256="a" * 64,
        )
        s.add_all([f, Vendor(client_id=client.id, name="Muster GmbH")])
        s.flush()
        # Users insert only the columns an upload names (the ORM would send every column);
        # amounts and status come from the workflow's doors.
        invoice_id = s.execute(
            text("insert into public.invoices (client_id, file_id) values (:c, :f) returning id"),
            {"c": client.id, "f": f.id},
        ).scalar_one()
        invoice = s.get(Invoice, invoice_id)
    return client, invoice


def test_server_defaults_come_back_through_the_orm(engine, make_user):
    user = make_user()
    client, invoice = _seed_invoice(engine, user)
    with user_session(engine, user.claims) as s:
        loaded = s.get(Invoice, invoice.id)
        assert loaded is not None
        assert (loaded.status, loaded.version, loaded.created_by) == ("received", 1, user.id)
        assert s.scalar(select(Client.created_by).where(Client.id == client.id)) == user.id


def test_a_stale_invoice_update_is_a_conflict(engine, make_user):
    user = make_user()
    _, invoice = _seed_invoice(engine, user)
    with user_session(engine, user.claims) as s:
        first = s.get(Invoice, invoice.id)
        assert first is not None
        first.invoice_number = "INV-1"  # a column users may still correct by table access
    assert first.version == 2
    with pytest.raises(Conflict), user_session(engine, user.claims) as s:
        stale = s.merge(invoice, load=False)  # still holds version 1
        stale.invoice_number = "INV-2"
