"""``Idempotency-Key`` on every POST and PATCH, with Stripe's semantics (issue 17, item 3).

A signed-in caller (a person or an API key) that sends ``Idempotency-Key: <1-255 printable
characters>`` gets, for the same key:

- the same request again: the stored response (status, body and the headers that matter,
  plus ``Idempotent-Replayed: true``), without running it again;
- another request: 422 ``idempotency_key_reused``;
- while the first is still running: 409 ``idempotency_in_flight``.

Keys are kept 24 hours per caller (``public.idempotency_keys`` under RLS). Responses with a 5xx
or 429 status are not kept (the key is released): those requests did not run, or failed for
reasons a retry should get past. Without credentials the header is ignored (the route answers
401 anyway).

The request's fingerprint is the SHA-256 of its method, path, sorted query, content type and
body, where a JSON body is compared as JSON (key order and spacing do not matter) and a
multipart body without its boundary string (a client picks a new one for every send). The body
is spooled (memory up to 8 MiB, then a temporary file) while it is hashed, then replayed to the
route unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tempfile
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import authenticate
from api.errors import domain_problem, problem_json
from core.errors import InvoiceFlowError
from core.workflow import idempotency

if TYPE_CHECKING:
    from core.auth.models import CurrentUser
    from core.workflow.services import Services

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PATCH"})
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 1024 * 1024
MAX_STORED_BODY = 16 * 1024 * 1024
# What a replay sends again: the body's own headers and those a problem answer carries
# (``api.errors.domain_problem``: a stored 401 still says ``WWW-Authenticate``).
KEPT_HEADERS = frozenset(
    {"content-type", "content-disposition", "etag", "location", "cache-control",
     "www-authenticate", "retry-after"}
)  # fmt: skip


class _Fingerprint:
    """SHA-256 over the request's identity and its body, fed chunk by chunk."""

    def __init__(self, scope: Scope, headers: Headers) -> None:
        self.hash = hashlib.sha256()
        query = urlencode(sorted(parse_qsl(scope.get("query_string", b"").decode("latin-1"))))
        ctype = headers.get("content-type", "")
        kind, _, params = ctype.partition(";")
        self.kind = kind.strip().lower()
        self.boundary = b""
        if self.kind == "multipart/form-data":
            found = re.search(r'boundary="?([^";]+)"?', params)
            self.boundary = found.group(1).encode("latin-1") if found else b""
        for part in (scope["method"], scope.get("raw_path", b"").decode("latin-1") or scope["path"],
                     query, self.kind):  # fmt: skip
            self.hash.update(part.encode("latin-1", "replace") + b"\x00")
        self._tail = b""
        self._json = bytearray() if self.kind.endswith("json") else None

    def feed(self, chunk: bytes) -> None:
        if self._json is not None:
            self._json.extend(chunk)
            return
        if not self.boundary:
            self.hash.update(chunk)
            return
        # Replace the boundary with a fixed token, also when it straddles two chunks.
        size = len(self.boundary)
        buf = self._tail + chunk
        safe_end = len(buf) - (size - 1)
        pos = 0
        while True:
            found = buf.find(self.boundary, pos)
            if found == -1 or found >= safe_end:
                break
            self.hash.update(buf[pos:found] + b"\x00BOUNDARY\x00")
            pos = found + size
        cut = max(pos, safe_end)
        self.hash.update(buf[pos:cut])
        self._tail = buf[cut:]

    def digest(self) -> str:
        if self._json is not None:
            raw = bytes(self._json)
            with contextlib.suppress(ValueError):  # not JSON after all: compared as bytes
                raw = json.dumps(
                    json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False
                ).encode()
            self.hash.update(raw)
        else:
            self.hash.update(self._tail.replace(self.boundary, b"\x00BOUNDARY\x00")
                             if self.boundary else self._tail)  # fmt: skip
            self._tail = b""
        return self.hash.hexdigest()


class IdempotencyMiddleware:
    """The pure-ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER.lower())
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _KEY.match(key):
            response = problem_json(
                status=422,
                title="Validation Failed",
                detail=f"{HEADER} must be 1-255 printable ASCII characters",
                code="validation_failed",
                instance=scope["path"],
            )
            await response(scope, receive, send)
            return
        request = Request(scope, receive)
        user = await authenticate(request)
        if user is None:
            await self.app(scope, receive, send)
            return
        services = request.app.state.services
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed below
        try:
            fingerprint = _Fingerprint(scope, headers)
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                if chunk:
                    fingerprint.feed(chunk)
                    spool.write(chunk)
                if not message.get("more_body", False):
                    break
            digest = fingerprint.digest()
            path = scope.get("path", "")[:2048]
            try:
                held = await run_in_threadpool(
                    lambda: idempotency.begin(
                        services=services, user=user, key=key, fingerprint=digest,
                        method=scope["method"], path=path,
                    )
                )  # fmt: skip
            except InvoiceFlowError as exc:
                await domain_problem(exc, instance=scope["path"])(scope, receive, send)
                return
            if held is not None:
                await _replay(held, send)
                return
            spool.seek(0)
            await self._run(scope, _replayed_body(spool, receive), send, services, user, key)
        finally:
            spool.close()

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        services: Services,
        user: CurrentUser,
        key: str,
    ) -> None:
        status = 500
        kept: list[tuple[str, str]] = []
        body = bytearray()
        settled = False

        async def settle() -> None:
            """Keep the response (or release the key) before the client sees the last byte, so
            a retry sent the moment the answer arrives finds it stored."""
            nonlocal settled
            settled = True
            keep = status < 500 and status != 429 and len(body) <= MAX_STORED_BODY
            data = bytes(body)

            def call() -> None:
                if keep:
                    idempotency.remember(
                        services=services, user=user, key=key, status_code=status,
                        headers=kept, body=data,
                    )  # fmt: skip
                else:
                    idempotency.forget(services=services, user=user, key=key)

            await run_in_threadpool(call)

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", []):
                    lowered = name.decode("latin-1").lower()
                    if lowered in KEPT_HEADERS:
                        kept.append((lowered, value.decode("latin-1")))
            elif message["type"] == "http.response.body":
                if len(body) <= MAX_STORED_BODY:
                    body.extend(message.get("body", b""))
                if not message.get("more_body", False) and not settled:
                    await settle()
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not settled:  # the route raised or the client went away: a retry runs again
                status = 500
                await settle()


def _replayed_body(spool: Any, original: Receive) -> Receive:
    """The spooled body as ASGI ``receive`` messages, then the client's own (a disconnect)."""
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:
            return await original()
        chunk = spool.read(CHUNK)
        more = len(chunk) == CHUNK
        if not more:
            done = True
        return {"type": "http.request", "body": chunk, "more_body": more}

    return receive


async def _replay(held: idempotency.StoredKey, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in held.headers]
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(held.body)).encode()))
    await send({"type": "http.response.start", "status": held.status_code or 200,
                "headers": headers})  # fmt: skip
    await send({"type": "http.response.body", "body": held.body})


def document_header(app: FastAPI) -> None:
    """Declare the optional ``Idempotency-Key`` header on every POST and PATCH in /openapi.json
    (so generated clients offer it)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        parameter = {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": "Makes a retry safe: the same key with the same request replays the "
            "first response (24 h, per caller); with another request it is a 422.",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": 255,
                "pattern": "^[\\x21-\\x7e]+$",
            },
        }
        for item in schema.get("paths", {}).values():
            for method, operation in item.items():
                if method.upper() in METHODS and isinstance(operation, dict):
                    params = operation.setdefault("parameters", [])
                    if not any(p.get("name") == HEADER for p in params):
                        params.append(parameter)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    """Add the middleware and document the header."""
    app.add_middleware(IdempotencyMiddleware)
    document_header(app)
