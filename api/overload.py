"""Load shedding: past a number of requests in flight, answer 429 at once instead of queueing.

The per-user and per-IP rate limits keep their counters in Postgres, so refusing a request that
way costs about as much as serving a small one: under twice the sustainable load the process would
still fall behind and every request would wait. This middleware refuses before any database work
(problem+json, ``Retry-After``), so requests that are admitted keep their latency. Probes and
metrics are never refused.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import problem_json

EXEMPT_PREFIXES = ("/api/v1/health", "/api/v1/ready", "/metrics")


class InFlightLimitMiddleware:
    """Pure ASGI: at most ``max_in_flight`` requests of this process at once (0 disables it)."""

    def __init__(self, app: ASGIApp, max_in_flight: int, retry_after_seconds: int = 1) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.retry_after = str(max(1, retry_after_seconds))
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or self.max_in_flight <= 0 or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await _busy(scope, receive, send, self.retry_after)
            return
        self.in_flight += 1  # one event loop per process: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _busy(scope: Scope, receive: Receive, send: Send, retry_after: str) -> None:
    await problem_json(
        status=429,
        title="Too Many Requests",
        detail="the server is at capacity; retry after the indicated delay",
        code="overloaded",
        instance=str(scope.get("path", "")),
        headers={"Retry-After": retry_after},
    )(scope, receive, send)
