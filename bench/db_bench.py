"""Database figures: migration apply time (embedded PostgreSQL 18 and Debian PostgreSQL 15) and the
cold start of the embedded default (initdb + start + migrate + demo seed).

    python -m bench.db_bench [--repeat 3] [--skip-cold-start] [--skip-pg15]

PostgreSQL 15: ``PG15_DATABASE_URL`` (a superuser URL to the maintenance database) or, as root,
the local Debian cluster 15/main (started for the run and stopped again if it was down).
Prints figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from core.config import Settings
from core.db import embedded
from core.db.migrate import apply_migrations, list_migrations

REPO = Path(__file__).resolve().parents[1]


def _with_db(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def time_migrations(admin_url: str, repeat: int, owner: str | None = None) -> list[float]:
    """Seconds to apply bootstrap + all migrations to a fresh database, ``repeat`` times."""
    times = []
    for _ in range(repeat):
        name = f"invoiceflow_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            stmt = sql.SQL("create database {}").format(sql.Identifier(name))
            if owner:
                stmt = stmt + sql.SQL(" owner {}").format(sql.Identifier(owner))
            conn.execute(stmt)
        try:
            report = apply_migrations(_with_db(admin_url, name))
            times.append(report.seconds)
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
    return times


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cold_start() -> dict[str, float]:
    """A brand-new data dir: initdb + start, migrate, seed; then stop and remove it."""
    from core.db.engine import database_url
    from core.demo.seed import seed_demo

    root = Path(tempfile.mkdtemp(prefix="invoiceflow-cold-"))
    settings = Settings(data_dir=root, embedded_pg_port=_free_port())
    figures: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        embedded.ensure_running(settings)
        t1 = time.perf_counter()
        apply_migrations(database_url(settings))
        t2 = time.perf_counter()
        result = seed_demo(settings)
        t3 = time.perf_counter()
        figures = {
            "initdb + start": t1 - t0,
            "migrate": t2 - t1,
            "seed demo": t3 - t2,
            "total": t3 - t0,
            "invoices seeded": float(len(result.invoices)),
        }
    finally:
        embedded.stop(settings)
        shutil.rmtree(root, ignore_errors=True)
    return figures


@contextmanager
def local_pg15() -> Iterator[tuple[str, str] | None]:
    """(admin URL, owner role) on the Debian 15/main cluster, or None when unavailable."""
    if os.geteuid() != 0 or not shutil.which("pg_lsclusters"):
        yield None
        return
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=False)
    row = next(
        (line.split() for line in out.stdout.splitlines() if line.startswith("15 main")), None
    )
    if row is None:
        yield None
        return
    port, started = row[2], False
    if row[3] != "online":
        subprocess.run(["pg_ctlcluster", "15", "main", "start"], check=True)
        started = True
    password = secrets.token_hex(16)
    role = "invoiceflow_bench_admin"
    setup = (
        f"do $$ begin if not exists (select 1 from pg_roles where rolname = '{role}') then "
        f"create role {role} login superuser; end if; end $$;"
        f"alter role {role} with login superuser password '{password}';"
    )
    psql = ["runuser", "-u", "postgres", "--", "psql", "-p", port, "-qAt", "-v", "ON_ERROR_STOP=1"]
    try:
        subprocess.run([*psql, "-c", setup], check=True, capture_output=True)
        yield f"postgresql://{role}:{password}@127.0.0.1:{port}/postgres", role
    finally:
        subprocess.run(
            [*psql, "-c", f"alter role {role} nologin"], check=False, capture_output=True
        )
        if started:
            subprocess.run(["pg_ctlcluster", "15", "main", "stop"], check=False)


def _report(label: str, times: list[float]) -> None:
    ms = [t * 1000 for t in times]
    print(
        f"{label}: median {statistics.median(ms):.0f} ms, min {min(ms):.0f} ms, "
        f"max {max(ms):.0f} ms over {len(ms)} fresh databases "
        f"({len(list_migrations())} migrations + bootstrap)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-cold-start", action="store_true")
    parser.add_argument("--skip-pg15", action="store_true")
    args = parser.parse_args()

    settings = Settings(data_dir=REPO / ".data")
    embedded.ensure_running(settings)
    with psycopg.connect(embedded.server_url(settings, "postgres")) as conn:
        version = conn.execute("show server_version").fetchone()
    _report(
        f"migrations on embedded PostgreSQL {version[0] if version else '?'}",
        time_migrations(embedded.server_url(settings, "postgres"), args.repeat),
    )

    if not args.skip_pg15:
        url = os.environ.get("PG15_DATABASE_URL")
        if url:
            _report("migrations on PG15_DATABASE_URL", time_migrations(url, args.repeat))
        else:
            with local_pg15() as pg15:
                if pg15 is None:
                    print(
                        "PostgreSQL 15: skipped (no PG15_DATABASE_URL and no local 15/main as root)"
                    )
                else:
                    admin, _ = pg15
                    with psycopg.connect(admin) as conn:
                        v = conn.execute("show server_version").fetchone()
                    _report(
                        f"migrations on Debian PostgreSQL {v[0] if v else '?'}",
                        time_migrations(admin, args.repeat),
                    )

    if not args.skip_cold_start:
        figures = cold_start()
        invoices = int(figures.pop("invoices seeded"))
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in figures.items())
        print(f"embedded cold start (fresh data dir): {parts}; {invoices} demo invoices uploaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
