"""Load shedding: past a number of requests in flight, answer 429 at once instead of queueing.

The per-user and per-IP rate limits keep their counters in Postgres, so refusing a request that
way costs about as much as serving a small one: under twice the sustainable load the process would
still fall behind and every request would wait. This middleware refuses before any database work
(problem+json, ``Retry-After``), so requests that are admitted keep their latency. Probes and
metrics are never refused.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

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
            await _busy(send, path, self.retry_after)
            return
        self.in_flight += 1  # one event loop per process: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _busy(send: Send, path: str, retry_after: str) -> None:
    body = json.dumps(
        {
            "type": "https://invoiceflow.dev/problems/overloaded",
            "title": "Too Many Requests",
            "status": 429,
            "detail": "the server is at capacity; retry after the indicated delay",
            "code": "overloaded",
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", retry_after.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
