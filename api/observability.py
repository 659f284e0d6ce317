"""Request ids, structured JSON logs and Prometheus metrics for the API.

Every response carries ``X-Request-ID`` (the caller's, if it looks sane, else a new one) and every
log line written while serving it carries the same id. Logs never include request bodies,
headers with secrets, or document contents: only method, route template, status and timings.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_json
from api.request_context import current_request_id, request_id_var, route_template
from core.structured_logging import JsonLineFormatter, wants_json
from core.structured_logging import configure_logging as configure_process_logging

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class JsonFormatter(JsonLineFormatter):
    """core's JSON line formatter, with the request id always present (null outside a request)."""

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return super().format(record)


class RequestIdFilter(logging.Filter):
    """Stamp the current request id on every record (also for plain-text handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


def configure_logging(level: str = "INFO", *, json_logs: bool | None = True) -> None:
    """core's process-wide logging plus the request id on every line; idempotent."""
    json_logs = wants_json(json_logs)
    text = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    configure_process_logging(
        level,
        json_logs=json_logs,
        formatter=JsonFormatter() if json_logs else text,
        filters=(RequestIdFilter(),),
    )
    access = logging.getLogger("uvicorn.access")
    access.propagate = False  # our access log line replaces it
    # Where uvicorn's own access log is still on (a bare ``uvicorn`` command), it must not write
    # signed-URL tokens or object keys: a token in a log is a download link for whoever reads it.
    if not any(isinstance(f, RedactQueryFilter) for f in access.filters):
        access.addFilter(RedactQueryFilter())


_SIGNED_PATH = re.compile(r"^(/storage/v1/object/sign/)[^?]*")


def redact_target(target: str) -> str:
    """A request target fit for a log: no query string, no object key of a signed URL."""
    path, sep, _query = target.partition("?")
    path = _SIGNED_PATH.sub(r"\1[redacted]", path)
    return path + ("?[redacted]" if sep else "")


class RedactQueryFilter(logging.Filter):
    """Rewrites uvicorn access records (client, method, target, version, status) safely."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True


class Metrics:
    """The API's Prometheus collectors, on their own registry (one per app instance)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "invoiceflow_http_requests_total",
            "HTTP requests by method, route and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "invoiceflow_http_request_duration_seconds",
            "HTTP request latency by method and route",
            ("method", "route"),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "invoiceflow_rate_limited_total",
            "Requests refused by a rate limit",
            ("scope",),
            registry=self.registry,
        )


class RequestContextMiddleware:
    """Pure ASGI middleware: request id, access log, metrics, last-resort 500 as problem+json."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger("invoiceflow.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logging.getLogger("invoiceflow.api").exception(
                "unhandled error on %s %s", scope.get("method"), route_template(scope)
            )
            if not response_started:
                await _send_500(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            self.log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={"status": status, "duration_ms": round(elapsed * 1000, 2)},
            )
            request_id_var.reset(token)


async def _send_500(scope: Scope, receive: Receive, send: Send) -> None:
    await problem_json(
        status=500,
        title="Internal Server Error",
        detail="an unexpected error occurred; quote the request id when reporting it",
        code="internal_error",
        instance=str(scope.get("path", "")),
    )(scope, receive, send)
