"""``invoiceflow db ...``, ``invoiceflow serve`` (``python -m core db ...``, ``... demo serve``).

db up [--seed-demo]   start the embedded server if needed, migrate, optionally seed the demo
db migrate            apply supabase/migrations to DATABASE_URL (or the embedded server)
db stop               stop the embedded server
db seed-demo          seed the demo workspace and print its sign-in
db url                print the database URL (password masked unless --show-password)
demo serve            run the API (:8000), the console (:8501) and one worker until Ctrl-C
"""

from __future__ import annotations

import argparse
import logging
import sys

from core.config import Settings
from core.errors import InvoiceFlowError

log = logging.getLogger(__name__)


def _settings() -> Settings:
    return Settings()


def _migrate(settings: Settings) -> int:
    from core.db.engine import database_url
    from core.db.migrate import apply_migrations

    report = apply_migrations(database_url(settings))
    done = ", ".join(report.applied) if report.applied else "nothing new"
    boot = " (local Supabase bootstrap applied)" if report.bootstrapped else ""
    print(f"migrations: {done}; {report.already_applied} already applied{boot}")
    for name in report.changed_since_applied:
        print(f"warning: {name} changed after it was applied; add a new migration instead")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start (or reuse) the database, migrate, and seed the demo when asked."""
    settings = _settings()
    if settings.uses_embedded_db:
        from core.db import embedded

        embedded.ensure_running(settings)
        print(f"embedded PostgreSQL running on 127.0.0.1:{settings.embedded_pg_port}")
    _migrate(settings)
    if args.seed_demo:
        args.migrated = True
        return cmd_seed_demo(args)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending migrations."""
    return _migrate(_settings())


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop the embedded server."""
    settings = _settings()
    if not settings.uses_embedded_db:
        print("DATABASE_URL is set: there is no embedded server to stop")
        return 0
    from core.db import embedded

    print("embedded PostgreSQL stopped" if embedded.stop(settings) else "not running")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Seed the demo workspace (idempotent) and print the sign-in."""
    from core.demo.seed import seed_demo

    settings = _settings()
    if not getattr(args, "migrated", False):
        _migrate(settings)
    result = seed_demo(settings)
    print(result.summary())
    return 0


def cmd_url(args: argparse.Namespace) -> int:
    """Print the database URL."""
    from sqlalchemy.engine import make_url

    from core.db.engine import database_url

    url = make_url(database_url(_settings()))
    print(url.render_as_string(hide_password=not args.show_password))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run API, console and worker as child processes until interrupted."""
    from core.demo.serve import serve

    return serve(
        _settings(),
        api_port=args.api_port,
        console_port=args.console_port,
        without=tuple(args.without or ()),
    )


def _guard(func):  # type: ignore[no-untyped-def]
    def run(args: argparse.Namespace) -> int:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        try:
            return int(func(args) or 0)
        except InvoiceFlowError as exc:
            print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
            return 2

    return run


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``db`` and ``demo`` on the ``python -m core`` dispatcher."""
    db = subparsers.add_parser("db", help="database: up, migrate, stop, seed-demo, url")
    sub = db.add_subparsers(dest="db_command", required=True)
    up = sub.add_parser("up", help="start the embedded database if needed and migrate")
    up.add_argument("--seed-demo", action="store_true", help="also seed the demo workspace")
    up.set_defaults(func=_guard(cmd_up))
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(
        func=_guard(cmd_migrate)
    )
    sub.add_parser("stop", help="stop the embedded database").set_defaults(func=_guard(cmd_stop))
    sub.add_parser("seed-demo", help="seed the demo workspace").set_defaults(
        func=_guard(cmd_seed_demo)
    )
    url = sub.add_parser("url", help="print the database URL")
    url.add_argument("--show-password", action="store_true")
    url.set_defaults(func=_guard(cmd_url))

    demo = subparsers.add_parser("demo", help="demo: serve the API, console and a worker")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    # ``invoiceflow serve`` and ``invoiceflow demo serve``: the same command, the same options.
    for serve in (
        demo_sub.add_parser("serve", help="run API :8000, console :8501 and one worker"),
        subparsers.add_parser("serve", help="run API :8000, console :8501 and one worker"),
    ):
        serve.add_argument("--api-port", type=int, default=8000)
        serve.add_argument("--console-port", type=int, default=8501)
        serve.add_argument(
            "--without",
            action="append",
            choices=["api", "console", "worker"],
            help="do not start this component (repeatable)",
        )
        serve.set_defaults(func=_guard(cmd_serve))
