"""Migration runner: bootstrap (plain Postgres only) + ``supabase/migrations/*.sql`` in order.

Applied versions are recorded in ``supabase_migrations.schema_migrations``, the table the Supabase
CLI uses, so ``supabase db push`` and this runner agree on what is applied. Each file runs in its
own transaction; a Postgres advisory lock serialises concurrent runners (API, console and worker
may all start at once). Re-running is a no-op.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from core.errors import ConfigurationError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO_ROOT / "supabase" / "migrations"
BOOTSTRAP_FILE = REPO_ROOT / "supabase" / "bootstrap" / "local_supabase.sql"
# pg_advisory_lock key: any constant bigint unique to this purpose ("invoiceflow migrate").
ADVISORY_LOCK_KEY = 0x1F_0F_10_DB_4D_16
_NAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9_]+)\.sql$")

_HISTORY_DDL = """
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text not null primary key,
  statements text[],
  name text
);
"""


@dataclass(frozen=True)
class Migration:
    """One migration file: ``<version>_<name>.sql``."""

    version: str
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass
class MigrationReport:
    """What one run did."""

    bootstrapped: bool = False
    applied: list[str] = field(default_factory=list)
    already_applied: int = 0
    changed_since_applied: list[str] = field(default_factory=list)
    seconds: float = 0.0


def psycopg_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` -> ``postgresql://``)."""
    return re.sub(r"^postgres(ql)?(\+[a-z0-9]+)?://", "postgresql://", url)


def list_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Migration files in version order; refuse names the Supabase CLI would not accept."""
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ConfigurationError(
                f"migration file {path.name!r} is not <yyyymmddhhmmss>_<snake_name>.sql"
            )
        found.append(Migration(match["version"], match["name"], path))
    versions = [m.version for m in found]
    duplicates = sorted({v for v in versions if versions.count(v) > 1})
    if duplicates:
        raise ConfigurationError(f"two migration files share version(s) {', '.join(duplicates)}")
    return found


def _needs_bootstrap(conn: psycopg.Connection) -> bool:
    row = conn.execute("select 1 from pg_namespace where nspname = 'auth'").fetchone()
    return row is None


def apply_migrations(
    url: str,
    *,
    directory: Path = MIGRATIONS_DIR,
    bootstrap_file: Path = BOOTSTRAP_FILE,
) -> MigrationReport:
    """Bring the database at ``url`` up to date; safe to call from many processes at once."""
    migrations = list_migrations(directory)
    report = MigrationReport()
    started = time.perf_counter()
    try:
        conn = psycopg.connect(psycopg_url(url), autocommit=True)
    except psycopg.OperationalError as exc:
        raise ConfigurationError(f"cannot connect to the database to migrate: {exc}") from exc
    with conn:
        conn.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            if _needs_bootstrap(conn):
                log.info("schema auth absent: applying %s", bootstrap_file.name)
                try:
                    with conn.transaction():
                        conn.execute(bootstrap_file.read_text(encoding="utf-8"))  # type: ignore[arg-type]
                except psycopg.Error as exc:
                    raise ConfigurationError(
                        f"local Supabase bootstrap {bootstrap_file.name} failed: {exc}"
                    ) from exc
                report.bootstrapped = True
            with conn.transaction():
                conn.execute(_HISTORY_DDL)  # type: ignore[arg-type]
            rows = conn.execute(
                "select version, statements from supabase_migrations.schema_migrations"
            ).fetchall()
            applied = {version: statements for version, statements in rows}
            for migration in migrations:
                text = migration.sql()
                if migration.version in applied:
                    report.already_applied += 1
                    if applied[migration.version] not in (None, [], [text]):
                        report.changed_since_applied.append(migration.path.name)
                    continue
                log.info("applying migration %s", migration.path.name)
                try:
                    with conn.transaction():
                        conn.execute(text)  # type: ignore[arg-type]
                        conn.execute(
                            "insert into supabase_migrations.schema_migrations"
                            " (version, statements, name) values (%s, %s, %s)",
                            (migration.version, [text], migration.name),
                        )
                except psycopg.Error as exc:
                    raise ConfigurationError(
                        f"migration {migration.path.name} failed: {exc}"
                    ) from exc
                report.applied.append(migration.path.name)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    for name in report.changed_since_applied:
        log.warning("migration %s changed after it was applied; add a new migration instead", name)
    report.seconds = time.perf_counter() - started
    return report


def applied_versions(url: str) -> list[str]:
    """Versions recorded in ``supabase_migrations.schema_migrations``, in order."""
    with psycopg.connect(psycopg_url(url)) as conn:
        rows = conn.execute(
            "select version from supabase_migrations.schema_migrations order by version"
        ).fetchall()
    return [r[0] for r in rows]
