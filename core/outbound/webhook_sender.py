"""Post one signed webhook message to a checked address (async, one shared HTTP pool).

The URL's host is resolved and every address checked (``targets``) right before the request,
and the request goes to the checked address: the ``Host`` header and the TLS server name stay
the URL's host (so the certificate is verified for it). Redirects are not followed (a 3xx is a
failed attempt); the answer's body is not read beyond 1 KiB.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

import httpx

from core.errors import UnsafeTarget, ValidationFailed
from core.outbound.targets import parse_http_target, resolve_async

MAX_ERROR = 300


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt got: an HTTP status (2xx = delivered) or an error, and how long."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _netloc(address: str, port: int) -> str:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"{host}:{port}"


async def post_signed(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_loopback: bool,
    timeout: float,
) -> AttemptResult:
    """POST ``body`` to ``url`` with ``headers``; never raises for the receiver's failures."""
    started = time.monotonic()

    def done(status: int | None, error: str | None) -> AttemptResult:
        ms = int((time.monotonic() - started) * 1000)
        return AttemptResult(status, error[:MAX_ERROR] if error else None, ms)

    try:
        target = parse_http_target(url, allow_loopback=allow_loopback)
        addresses = await resolve_async(target.host, target.port, allow_loopback=allow_loopback)
    except (UnsafeTarget, ValidationFailed) as exc:
        return done(None, f"{exc.code}: {exc.message}")
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port != (443 if target.scheme == "https" else 80):
        host_header += f":{target.port}"
    send = {
        "content-type": "application/json",
        "user-agent": "InvoiceFlow-Webhooks/1",
        **headers,
        "host": host_header,
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    request_url = f"{target.scheme}://{_netloc(addresses[0], target.port)}{target.path}"
    try:
        async with client.stream(
            "POST",
            request_url,
            content=body,
            headers=send,
            extensions=extensions,
            timeout=timeout,
            follow_redirects=False,
        ) as response:
            read = 0
            async for chunk in response.aiter_bytes():
                read += len(chunk)
                if read > 1024:
                    break
            status = response.status_code
    except httpx.TimeoutException:
        return done(None, f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return done(None, f"{type(exc).__name__}: {exc}")
    if 200 <= status < 300:
        return done(status, None)
    return done(status, f"the receiver answered HTTP {status}")
