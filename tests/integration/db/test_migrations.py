"""The migration runner against a real server: order, idempotency, history, concurrency."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from core.db.migrate import MIGRATIONS_DIR, applied_versions, apply_migrations, list_migrations
from core.errors import ConfigurationError


@pytest.fixture
def scratch_db(pg_server_url: str):
    """An empty database, dropped afterwards."""
    name = f"invoiceflow_scratch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    from tests.conftest import _with_database

    try:
        yield _with_database(pg_server_url, name)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def test_migration_files_follow_the_supabase_cli_naming_in_version_order():
    migrations = list_migrations()
    assert migrations, "no migrations found"
    versions = [m.version for m in migrations]
    assert versions == sorted(versions)
    assert all(len(v) == 14 and v.isdigit() for v in versions)


def test_every_migration_is_recorded_in_schema_migrations(database_url):
    assert applied_versions(database_url) == [m.version for m in list_migrations()]


def test_rerunning_migrations_is_a_no_op(database_url):
    report = apply_migrations(database_url)
    assert report.applied == []
    assert not report.bootstrapped
    assert report.already_applied == len(list_migrations())
    assert report.changed_since_applied == []


def test_fresh_database_gets_bootstrap_then_migrations_in_order(scratch_db):
    report = apply_migrations(scratch_db)
    assert report.bootstrapped
    assert report.applied == [m.path.name for m in list_migrations()]
    with psycopg.connect(scratch_db.replace("+psycopg", "")) as conn:
        names = conn.execute(
            "select name from supabase_migrations.schema_migrations order by version"
        ).fetchall()
    assert [n for (n,) in names] == [m.name for m in list_migrations()]


def test_concurrent_runners_apply_each_migration_once(scratch_db):
    reports, errors = [], []

    def run():
        try:
            reports.append(apply_migrations(scratch_db))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    applied = [name for r in reports for name in r.applied]
    assert sorted(applied) == sorted(m.path.name for m in list_migrations())
    assert sum(r.bootstrapped for r in reports) == 1


def test_a_failing_migration_rolls_back_and_is_not_recorded(scratch_db, tmp_path: Path):
    for m in list_migrations():
        (tmp_path / m.path.name).write_text(m.sql())
    (tmp_path / "29990101000000_broken.sql").write_text(
        "create table public.half_done (id int);\nselect 1/0;\n"
    )
    with pytest.raises(ConfigurationError, match=r"29990101000000_broken\.sql"):
        apply_migrations(scratch_db, directory=tmp_path)
    with psycopg.connect(scratch_db.replace("+psycopg", "")) as conn:
        assert conn.execute("select to_regclass('public.half_done')").fetchone() == (None,)
        versions = [
            v for (v,) in conn.execute("select version from supabase_migrations.schema_migrations")
        ]
    assert "29990101000000" not in versions
    assert len(versions) == len(list_migrations())


def test_badly_named_migration_files_are_refused(tmp_path: Path):
    (tmp_path / "001_init.sql").write_text("select 1;")
    with pytest.raises(ConfigurationError, match=r"001_init\.sql"):
        list_migrations(tmp_path)


def test_migrations_live_only_in_supabase_migrations():
    assert MIGRATIONS_DIR.name == "migrations"
    assert MIGRATIONS_DIR.parent.name == "supabase"
