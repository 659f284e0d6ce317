"""A job worker's loop: procrastinate's worker on the product's database, restarted after a lost
connection.

Start as many as you like, on as many machines as you like (same ``DATABASE_URL``). SIGTERM or
Ctrl-C stops fetching new jobs and lets the running one finish (up to ``shutdown_timeout``); a
job cut off anyway, or one whose worker was killed, is found by the stalled-job check (missing
heartbeat) of any live worker and retried.

A lost database (a restart, a dropped connection) stops procrastinate's worker; this loop then
waits (1 s, doubling up to ``reconnect_max_seconds``) and starts it again, so a worker only ends
on a stop signal or on an error it cannot handle, never because its connection went away.
``invoiceflow worker`` (``core.cli.worker``) builds the services and runs this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from typing import Any

import procrastinate
from sqlalchemy import Engine

from core.db.migrate import psycopg_url
from core.jobs.tasks import WEBHOOK_QUEUE, blueprint, retry_stalled_jobs
from core.workflow.services import Services

log = logging.getLogger("invoiceflow.worker")


def make_app(database_url: str) -> procrastinate.App:
    """A procrastinate app on ``database_url`` with InvoiceFlow's tasks registered."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=psycopg_url(database_url)),
        import_paths=["core.jobs.tasks"],
    )
    app.add_tasks_from(blueprint, namespace="")
    return app


def app_for(engine: Engine) -> procrastinate.App:
    """A worker's own app on the database of ``engine`` (its async pool is the worker's alone)."""
    return make_app(engine.url.render_as_string(hide_password=False))


async def _together(*workers: Coroutine[Any, Any, None]) -> None:
    """Run the workers at once; when one stops with an error (or this is cancelled: a stop
    request), the others are stopped too, each letting its running jobs finish."""
    tasks = [asyncio.ensure_future(w) for w in workers]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # re-raise the first failure
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_worker_async(
    services: Services,
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
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    running: asyncio.Future[None] | None = None

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
            app = app_for(services.engine)
            hooks_app = app_for(services.engine)
            try:
                async with app.open_async(), hooks_app.open_async():
                    recovered = await retry_stalled_jobs(
                        app, seconds_since_heartbeat=stalled_seconds
                    )
                    if recovered:
                        log.warning("retried %d stalled job(s) from dead workers", recovered)
                    options = {
                        "wait": wait,
                        "additional_context": {"services": services},
                        "update_heartbeat_interval": heartbeat_seconds,
                        "stalled_worker_timeout": stalled_seconds,
                        "shutdown_graceful_timeout": shutdown_timeout,
                        "install_signal_handlers": False,  # ours, above: they outlive a restart
                        "listen_notify": True,
                        "fetch_job_polling_interval": 2.0,
                        "delete_jobs": "successful",
                    }
                    # Webhook deliveries get a loop of their own (many at once, each mostly
                    # waiting for a receiver), so a long extraction never delays one.
                    running = asyncio.ensure_future(
                        _together(
                            app.run_worker_async(
                                concurrency=concurrency,
                                # Worker(name=None) is valid (no per-worker logger); the
                                # option's TypedDict only says str.
                                name=name,  # type: ignore[arg-type]
                                **options,  # type: ignore[arg-type]
                            ),
                            hooks_app.run_worker_async(
                                queues=[WEBHOOK_QUEUE],
                                concurrency=max(1, services.settings.webhook_worker_concurrency),
                                name=f"{name}-webhooks" if name else None,  # type: ignore[arg-type]
                                **options,  # type: ignore[arg-type]
                            ),
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
