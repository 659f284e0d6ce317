"""Rate limits per user and per client IP, shared across API instances through the storage.

Fixed windows from the ``limits`` library; the storage is whatever ``build_services`` provides
(Postgres in every real deployment, so N API processes count together), in-memory only when no
shared storage is configured (single-process tests). When the storage itself fails the request is
let through and the failure logged: a rate limiter must not turn a database hiccup into an outage.
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from core.errors import ConfigurationError, RateLimited

log = logging.getLogger("invoiceflow.ratelimit")


class RateLimiter:
    """Checks ``user:<id>`` and ``ip:<addr>`` keys against the configured limits."""

    def __init__(self, *, user_limit: str, ip_limit: str, storage: Storage | None = None) -> None:
        try:
            self.items: dict[str, RateLimitItem] = {
                "user": parse(user_limit),
                "ip": parse(ip_limit),
            }
        except ValueError as exc:
            raise ConfigurationError(f"bad rate limit setting: {exc}") from exc
        self.storage = storage or MemoryStorage()
        self.strategy = FixedWindowRateLimiter(self.storage)

    def hit_all(self, checks: list[tuple[str, str]]) -> None:
        """Count one request against several ``(scope, key)`` limits, in one round trip when the
        storage can (Postgres), else one by one."""
        incr_many = getattr(self.storage, "incr_many", None)
        if not callable(incr_many):
            for scope, key in checks:
                self.hit(scope, key)
            return
        keyed = self._keyed(checks)
        try:
            counts = incr_many([(k, self.items[sc].get_expiry()) for k, sc in keyed.items()])
        except Exception:  # storage down: fail open, loudly
            log.warning("rate limit storage failed; request allowed", exc_info=True)
            return
        self._enforce(keyed, counts)

    async def hit_all_async(self, checks: list[tuple[str, str]]) -> None:
        """``hit_all`` on the event loop when the storage has an async path (Postgres); the
        in-memory storage is counted inline (no I/O)."""
        incr_many_async = getattr(self.storage, "incr_many_async", None)
        if not callable(incr_many_async):
            self.hit_all(checks)
            return
        keyed = self._keyed(checks)
        try:
            counts = await incr_many_async(
                [(k, self.items[sc].get_expiry()) for k, sc in keyed.items()]
            )
        except Exception:  # storage down: fail open, loudly
            log.warning("rate limit storage failed; request allowed", exc_info=True)
            return
        self._enforce(keyed, counts)

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
