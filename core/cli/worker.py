"""``invoiceflow worker`` (``python -m core worker``): run a job worker on the product's database.

The loop itself is ``core.jobs.worker.run_worker_async``; this module builds the services (the
one composition root) and parses the command line.

Start as many as you like, on as many machines as you like (same ``DATABASE_URL``). SIGTERM or
Ctrl-C stops fetching new jobs and lets the running one finish (up to ``--shutdown-timeout``);
a job cut off anyway, or one whose worker was killed, is found by the stalled-job check (missing
heartbeat) of any live worker and retried.

A lost database (a restart, a dropped connection) stops procrastinate's worker; this loop then
waits (1 s, doubling up to ``worker_reconnect_max_seconds``) and starts it again, so a worker
only ends on a stop signal (exit 0) or on an error it cannot handle (a non-zero exit that a
supervisor sees), never with 0 because its connection went away.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from core.config import Settings
from core.jobs.worker import run_worker_async
from core.workflow.services import Services

log = logging.getLogger("invoiceflow.worker")


def build_worker_services(settings: Settings) -> Services:
    """The service container (the one composition root), with its job queue.

    Extraction runs in budgeted child processes (``core.extraction.isolation``) unless
    ``extraction_isolated`` is off: a file that exhausts memory or CPU costs its child, not the
    worker.
    """
    import dataclasses

    from core.bootstrap import build_extraction, build_services

    services = build_services(settings)
    if not settings.extraction_isolated:
        return services
    from core.extraction.isolation import IsolatedExtraction

    isolated = IsolatedExtraction(settings, build_extraction)
    return dataclasses.replace(
        services, extraction=isolated, closers=(*services.closers, isolated.close)
    )


def cmd_worker(args: argparse.Namespace) -> int:
    """Entry point of ``python -m core worker``."""
    from core.structured_logging import configure_logging

    if args.nice:
        # Extraction is CPU-bound; on a box shared with the API, requests should win the CPU.
        os.nice(args.nice)
    settings = Settings()
    configure_logging(settings.log_level, json_logs=settings.log_json)
    services = build_worker_services(settings)
    try:
        asyncio.run(
            run_worker_async(
                services,
                concurrency=args.concurrency,
                name=args.name,
                wait=not args.until_empty,
                heartbeat_seconds=args.heartbeat or settings.worker_heartbeat_seconds,
                stalled_seconds=args.stalled_timeout or settings.worker_stalled_seconds,
                shutdown_timeout=args.shutdown_timeout,
                reconnect_max_seconds=settings.worker_reconnect_max_seconds,
            )
        )
    finally:
        services.close()
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``worker`` on the ``python -m core`` dispatcher."""
    p = subparsers.add_parser("worker", help="run a job worker (extraction and matching)")
    p.add_argument("--concurrency", type=int, default=1, help="jobs at once in this process")
    p.add_argument("--name", default=None, help="worker name shown in logs")
    p.add_argument("--until-empty", action="store_true", help="exit once the queue is empty")
    p.add_argument(
        "--heartbeat",
        type=float,
        default=None,
        help="seconds between heartbeats (default: INVOICEFLOW_WORKER_HEARTBEAT_SECONDS, 5)",
    )
    p.add_argument(
        "--stalled-timeout",
        type=float,
        default=None,
        help="a worker silent this long is dead; its jobs are retried "
        "(default: INVOICEFLOW_WORKER_STALLED_SECONDS, 20)",
    )
    p.add_argument(
        "--shutdown-timeout",
        type=float,
        default=60.0,
        help="seconds a stopping worker waits for its running job",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=10,
        help="lower this process's CPU priority by N (0 keeps it) so API requests go first",
    )
    p.set_defaults(func=cmd_worker)
