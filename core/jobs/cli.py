"""``python -m core worker``: run a job worker on the product's database.

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
import contextlib
import logging
import os
import signal
from typing import Any

from core.config import Settings

log = logging.getLogger("invoiceflow.worker")


def build_worker_services(settings: Settings) -> Any:
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


async def run_worker_async(
    services: Any,
    *,
    concurrency: int = 1,
    name: str | None = None,
    wait: bool = True,
    heartbeat_seconds: float = 5.0,
    stalled_seconds: float = 20.0,
    shutdown_timeout: float = 60.0,
    install_signal_handlers: bool = True,
    reconnect_max_seconds: float = 30.0,
) -> None:
    """Recover stalled jobs, then work until stopped (or the queue is empty, if not ``wait``).

    Returns only when stopped (a signal, or an empty queue without ``wait``); a worker that
    stopped for any other reason (its database went away) is started again after a backoff.
    """
    from core.jobs.tasks import retry_stalled_jobs

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    running: asyncio.Task[None] | None = None

    def on_signal() -> None:
        stop.set()
        if running is not None:
            running.cancel()  # procrastinate stops fetching and lets the running job finish

    signals = (signal.SIGINT, signal.SIGTERM) if install_signal_handlers else ()
    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    backoff = 1.0
    try:
        while not stop.is_set():
            started = loop.time()
            app = services.jobs.worker_app()
            try:
                async with app.open_async():
                    recovered = await retry_stalled_jobs(
                        app, seconds_since_heartbeat=stalled_seconds
                    )
                    if recovered:
                        log.warning("retried %d stalled job(s) from dead workers", recovered)
                    running = asyncio.create_task(
                        app.run_worker_async(
                            concurrency=concurrency,
                            name=name,
                            wait=wait,
                            additional_context={"services": services},
                            update_heartbeat_interval=heartbeat_seconds,
                            stalled_worker_timeout=stalled_seconds,
                            shutdown_graceful_timeout=shutdown_timeout,
                            install_signal_handlers=False,  # ours, above: they outlive a restart
                            listen_notify=True,
                            fetch_job_polling_interval=2.0,
                            delete_jobs="successful",
                        )
                    )
                    await running
            except asyncio.CancelledError:
                if not stop.is_set():
                    raise
            except Exception as exc:  # the database went away under the worker or its pool
                if not wait:
                    raise  # a one-shot run reports the failure (non-zero exit)
                log.warning("worker lost its database: %s: %s", type(exc).__name__, exc)
            finally:
                running = None
            if stop.is_set() or not wait:
                return
            if loop.time() - started > 4 * reconnect_max_seconds:
                backoff = 1.0  # it ran well for a while: this is a fresh outage
            log.warning("worker stopped without a stop request; starting again in %.0f s", backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            backoff = min(backoff * 2, reconnect_max_seconds)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


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
        close = getattr(services, "close", None)
        if callable(close):
            close()
    return 0


def add_parser(subparsers: Any) -> None:
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
