"""A ``limits`` storage on Postgres, so every API instance counts against the same windows.

Each hit is one ``INSERT ... ON CONFLICT DO UPDATE`` (atomic under concurrency, no read-modify-
write race) in a short service session named ``api.rate_limit``: counters are system
bookkeeping, not user data. Expired rows are swept now and then by the same statements.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any, ClassVar, cast

import psycopg
from limits.storage import Storage
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from core.db.migrate import psycopg_url
from core.db.session import service_session
from core.errors import InvoiceFlowError

_HIT = text(
    "insert into public.api_rate_limits as r (key, count, expires_at)"
    " values (:k, :a, now() + make_interval(secs => :e))"
    " on conflict (key) do update set"
    "  count = case when r.expires_at <= now() then excluded.count"
    "   else r.count + excluded.count end,"
    "  expires_at = case when r.expires_at <= now() then excluded.expires_at"
    "   else r.expires_at end"
    " returning count"
)
# psycopg placeholders: sent as one message on the raw connection (see ``incr_many``).
_HIT_MANY = (
    "insert into public.api_rate_limits as r (key, count, expires_at)"
    " select k, a, now() + make_interval(secs => e)"
    " from unnest(%(keys)s::text[], %(expiries)s::integer[], %(amounts)s::integer[]) as t(k, e, a)"
    " on conflict (key) do update set"
    "  count = case when r.expires_at <= now() then excluded.count"
    "   else r.count + excluded.count end,"
    "  expires_at = case when r.expires_at <= now() then excluded.expires_at"
    "   else r.expires_at end"
    " returning key, count, extract(epoch from expires_at)"
)
# Counters are bookkeeping: losing the last few increments in a crash is harmless, waiting for
# a WAL flush on every request is not.
_ASYNC_COMMIT = text("select set_config('synchronous_commit', 'off', true)")
_SERVICE_ASYNC_COMMIT = (
    "select set_config('role', 'service_role', true), set_config('synchronous_commit', 'off', true)"
)
_SWEEP = "delete from public.api_rate_limits where expires_at < now()"
# The same as one message for the event loop: begin, role, async commit, count, commit.
_HIT_MANY_MESSAGE = f"begin; {_SERVICE_ASYNC_COMMIT}; {_HIT_MANY}; commit"
_HIT_MANY_SWEEP_MESSAGE = f"begin; {_SERVICE_ASYNC_COMMIT}; {_HIT_MANY}; {_SWEEP}; commit"
_GET = text(
    "select count, extract(epoch from expires_at) from public.api_rate_limits"
    " where key = :k and expires_at > now()"
)


class PostgresLimitsStorage(Storage):
    """Fixed-window counters in ``public.api_rate_limits`` (see the migration)."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["invoiceflow+postgres"]  # type: ignore[misc]

    def __init__(
        self, engine: Engine, *, sweep_probability: float = 0.001, async_pool_size: int = 10
    ) -> None:
        super().__init__(uri=None, wrap_exceptions=False)
        self.engine = engine
        self.sweep_probability = sweep_probability
        self.async_pool_size = async_pool_size
        self.pool_timeout_seconds = 5.0  # then the request is let through (fail open)
        self._dice = random.Random()  # own generator: never touches the global random state
        self._conninfo = psycopg_url(engine.url.render_as_string(hide_password=False))
        self._apool: AsyncConnectionPool[Any] | None = None
        self._apool_loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (SQLAlchemyError, psycopg.Error, InvoiceFlowError)

    def incr_many(self, items: list[tuple[str, int]]) -> dict[str, tuple[int, float]]:
        """Count one hit on each ``(key, expiry)``; key -> (count, reset at).

        Skips the ORM session: the role switch, the statement and the commit go to the server as
        one message (one network round trip), as the ``service_role`` like a service session.
        """
        message, params = self._hit_message(items, None)
        raw = self.engine.raw_connection()
        try:
            conn = cast("psycopg.Connection[Any]", raw.driver_connection)
            with psycopg.ClientCursor(conn) as cur:
                cur.execute(message, params)
                rows: list[Any] = []
                while True:  # the counts are the result set with three columns
                    if cur.description is not None and len(cur.description) == 3:
                        rows = cur.fetchall()
                    if not cur.nextset():
                        break
        except BaseException:
            raw.invalidate()  # whatever state it is in, it does not go back to the pool
            raise
        finally:
            raw.close()
        return _by_key(rows)

    async def incr_many_async(
        self, items: list[tuple[str, int]], amounts: list[int] | None = None
    ) -> dict[str, tuple[int, float]]:
        """``incr_many`` for the event loop (each key by its ``amounts``, default 1): one message
        on a pooled async connection.

        The API counts requests with this, so it costs no thread-pool hop and one network round
        trip (client-side bound parameters let the transaction travel as one query).
        """
        message, params = self._hit_message(items, amounts)
        pool = await self._async_pool()
        async with pool.connection(timeout=self.pool_timeout_seconds) as conn:
            cur = psycopg.AsyncClientCursor(conn)
            await cur.execute(message, params)
            rows: list[Any] = []
            while True:  # the counts are the result set with three columns
                if cur.description is not None and len(cur.description) == 3:
                    rows = await cur.fetchall()
                if not cur.nextset():
                    break
        return _by_key(rows)

    def _hit_message(
        self, items: list[tuple[str, int]], amounts: list[int] | None
    ) -> tuple[str, dict[str, Any]]:
        """The one-message transaction (with the occasional sweep) and its parameters."""
        params = {
            "keys": [k[:300] for k, _ in items],
            "expiries": [e for _, e in items],
            "amounts": amounts or [1] * len(items),
        }
        sweep = self._dice.random() < self.sweep_probability
        return (_HIT_MANY_SWEEP_MESSAGE if sweep else _HIT_MANY_MESSAGE), params

    async def _async_pool(self) -> AsyncConnectionPool[Any]:
        loop = asyncio.get_running_loop()
        if self._apool is None or self._apool_loop is not loop:
            # A pool belongs to one event loop (tests run several apps, one loop each).
            self._apool = AsyncConnectionPool(
                self._conninfo,
                min_size=1,
                max_size=self.async_pool_size,
                open=False,
                kwargs={"autocommit": True},
                name="invoiceflow-rate-limit",
            )
            self._apool_loop = loop
            await self._apool.open(wait=False)
        return self._apool

    async def aclose(self) -> None:
        """Close the event loop's connection pool (the API's shutdown calls this)."""
        pool, self._apool, self._apool_loop = self._apool, None, None
        if pool is not None:
            await pool.close()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with service_session(self.engine, "api.rate_limit") as s:
            s.execute(_ASYNC_COMMIT)
            count = int(s.execute(_HIT, {"k": key[:300], "a": amount, "e": expiry}).scalar_one())
            if self._dice.random() < self.sweep_probability:
                s.execute(text(_SWEEP))
        return count

    def get(self, key: str) -> int:
        with service_session(self.engine, "api.rate_limit") as s:
            row = s.execute(_GET, {"k": key[:300]}).first()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        with service_session(self.engine, "api.rate_limit") as s:
            row = s.execute(_GET, {"k": key[:300]}).first()
        return float(row[1]) if row else time.time()

    def check(self) -> bool:
        try:
            with service_session(self.engine, "api.rate_limit") as s:
                s.execute(text("select 1 from public.api_rate_limits limit 1"))
            return True
        except Exception:
            return False

    def reset(self) -> int | None:
        with service_session(self.engine, "api.rate_limit") as s:
            return s.execute(text("delete from public.api_rate_limits")).rowcount  # type: ignore[attr-defined,no-any-return]

    def clear(self, key: str) -> None:
        with service_session(self.engine, "api.rate_limit") as s:
            s.execute(text("delete from public.api_rate_limits where key = :k"), {"k": key[:300]})


def _by_key(rows: list[Any]) -> dict[str, tuple[int, float]]:
    return {str(k): (int(c), float(t)) for k, c, t in rows}
