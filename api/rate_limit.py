"""Rate limits per user and per client IP, shared across API instances through the storage.

Fixed windows from the ``limits`` library; the storage is whatever ``build_services`` provides
(Postgres in every real deployment, so N API processes count together), in-memory only when no
shared storage is configured (single-process tests). When the storage itself fails the request is
let through and the failure logged: a rate limiter must not turn a database hiccup into an outage.

On the event loop (``hit_all_async``) a process does not ask the database on every request: while
a key is well below its limit (shared count + what this process counted since < half the limit)
the hit is counted locally and sent with others every ``FLUSH_SECONDS`` in one statement. Near
the limit, for a new window, or for a key not seen yet, every hit goes to the database and the
answer is exact. With N instances a burst can overshoot a limit by at most what N instances admit
between two flushes beyond half of it; the counts in the database stay complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from core.db.rate_limit_store import PostgresLimitsStorage
from core.errors import ConfigurationError, RateLimited

log = logging.getLogger("invoiceflow.ratelimit")
LOCAL_FRACTION = 0.5  # count locally while below this share of a limit
FLUSH_SECONDS = 0.1


@dataclass
class _Window:
    """What this process knows of one key's current window."""

    scope: str
    known: int = 0  # the shared count after our last exchange with the storage
    reset_at: float = 0.0  # when that window ends (epoch seconds)
    pending: int = 0  # hits admitted here and not sent yet


class RateLimiter:
    """Checks ``user:<id>``, ``key:<api key id>`` and ``ip:<addr>`` keys against the configured
    limits."""

    def __init__(
        self,
        *,
        user_limit: str,
        ip_limit: str,
        storage: Storage | None = None,
        key_limit: str | None = None,
    ) -> None:
        try:
            self.items: dict[str, RateLimitItem] = {
                "user": parse(user_limit),
                "ip": parse(ip_limit),
                "key": parse(key_limit or user_limit),  # per API key
            }
        except ValueError as exc:
            raise ConfigurationError(f"bad rate limit setting: {exc}") from exc
        self.storage = storage or MemoryStorage()
        # Our Postgres storage counts many keys in one statement (sync and async); any other
        # ``limits`` storage (in-memory in single-process tests) is counted key by key.
        self._many = self.storage if isinstance(self.storage, PostgresLimitsStorage) else None
        self.strategy = FixedWindowRateLimiter(self.storage)
        self._windows: dict[str, _Window] = {}
        self._flusher: asyncio.Task[None] | None = None

    def hit_all(self, checks: list[tuple[str, str]]) -> None:
        """Count one request against several ``(scope, key)`` limits, in one round trip when the
        storage can (Postgres), else one by one."""
        if self._many is None:
            for scope, key in checks:
                self.hit(scope, key)
            return
        keyed = self._keyed(checks)
        try:
            counts = self._many.incr_many(
                [(k, self.items[sc].get_expiry()) for k, sc in keyed.items()]
            )
        except Exception:  # storage down: fail open, loudly
            log.warning("rate limit storage failed; request allowed", exc_info=True)
            return
        self._enforce(keyed, counts)

    async def hit_all_async(self, checks: list[tuple[str, str]]) -> None:
        """``hit_all`` on the event loop: counted locally while far below the limits, else in
        one round trip (Postgres); the in-memory storage is counted inline (no I/O)."""
        if self._many is None:
            self.hit_all(checks)
            return
        keyed = self._keyed(checks)
        now = time.time()
        if all(self._far_below(k, scope, now) for k, scope in keyed.items()):
            for k in keyed:
                self._windows[k].pending += 1
            self._ensure_flusher()
            return
        keys = list(keyed)
        amounts = [self._take_pending(k) + 1 for k in keys]  # what this process still owes
        try:
            counts = await self._many.incr_many_async(
                [(k, self.items[keyed[k]].get_expiry()) for k in keys], amounts
            )
        except Exception:  # storage down: fail open, loudly
            log.warning("rate limit storage failed; request allowed", exc_info=True)
            return
        self._learn(keyed, counts)
        self._enforce(keyed, counts)

    async def flush(self) -> None:
        """Send the locally counted hits (one statement for all keys)."""
        owed = [(k, w.scope, w.pending) for k, w in self._windows.items() if w.pending]
        now = time.time()
        for k in [k for k, w in self._windows.items() if not w.pending and w.reset_at <= now]:
            del self._windows[k]  # windows that ended: forget them
        if not owed:
            return
        for k, _, _ in owed:
            self._windows[k].pending = 0
        if self._many is None:
            return
        try:
            counts = await self._many.incr_many_async(
                [(k, self.items[scope].get_expiry()) for k, scope, _ in owed],
                [n for _, _, n in owed],
            )
        except Exception:  # those hits were admitted already; the next ones go exact
            log.warning("rate limit flush failed; %d hits not counted", len(owed), exc_info=True)
            for k, _, _ in owed:
                self._windows.pop(k, None)
            return
        self._learn({k: scope for k, scope, _ in owed}, counts)

    async def aclose(self) -> None:
        """Stop the flusher and send what is still owed (the API's shutdown calls this)."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await flusher
        if self._many is not None:
            await self.flush()

    def _far_below(self, key: str, scope: str, now: float) -> bool:
        w = self._windows.get(key)
        if w is None or now >= w.reset_at:
            return False
        return w.known + w.pending + 1 <= self.items[scope].amount * LOCAL_FRACTION

    def _take_pending(self, key: str) -> int:
        w = self._windows.get(key)
        if w is None:
            return 0
        owed, w.pending = w.pending, 0
        return owed

    def _learn(self, keyed: dict[str, str], counts: dict[str, tuple[int, float]]) -> None:
        for k, scope in keyed.items():
            if k in counts:
                w = self._windows.setdefault(k, _Window(scope))
                w.known, w.reset_at = counts[k]

    def _ensure_flusher(self) -> None:
        loop = asyncio.get_running_loop()
        if self._flusher is None or self._flusher.done() or self._flusher.get_loop() is not loop:
            self._flusher = loop.create_task(self._flush_forever(), name="rate-limit-flush")

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.flush()

    def _keyed(self, checks: list[tuple[str, str]]) -> dict[str, str]:
        return {self.items[scope].key_for(scope, key): scope for scope, key in checks}

    def _enforce(self, keyed: dict[str, str], counts: dict[str, tuple[int, float]]) -> None:
        for k, scope in keyed.items():
            count, reset_at = counts.get(k, (0, time.time()))
            item = self.items[scope]
            if count > item.amount:
                raise RateLimited(
                    f"too many requests; limit is {item}",
                    retry_after=max(1.0, reset_at - time.time()),
                    scope=scope,
                )

    def hit(self, scope: str, key: str) -> None:
        """Count one request; raise ``RateLimited`` with seconds to wait when over the limit."""
        item = self.items[scope]
        try:
            allowed = self.strategy.hit(item, scope, key)
            if allowed:
                return
            reset_at, _ = self.strategy.get_window_stats(item, scope, key)
        except Exception:  # storage down: fail open, loudly
            log.warning("rate limit storage failed; request allowed", exc_info=True)
            return
        raise RateLimited(
            f"too many requests; limit is {item}",
            retry_after=max(1.0, reset_at - time.time()),
            scope=scope,
        )
