"""Which outbound targets are safe to connect to (webhook URLs, IMAP hosts): SSRF protection.

A target must resolve only to global unicast addresses: private (10/8, 172.16/12, 192.168/16,
fc00::/7), shared (100.64/10), loopback, link-local (169.254/16 with the cloud metadata address,
fe80::/10), multicast, reserved and unspecified addresses are refused, whether given literally or
by a DNS name that resolves to one; IPv4-mapped IPv6 addresses are judged by their IPv4 address.
Loopback alone may be allowed (``Settings.loopback_targets_allowed``: the embedded default and
tests). The check runs when a target is configured and again right before each connection, and
the connection goes to the address that was checked (no second lookup a rebinding DNS could
answer differently).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import UnsafeTarget, ValidationFailed

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class HttpTarget:
    """A parsed webhook URL."""

    url: str
    scheme: str
    host: str  # as written (a name or an address, without IPv6 brackets)
    port: int
    path: str  # path and query, as sent in the request line


def refusal(ip: IpAddress, *, allow_loopback: bool) -> str | None:
    """Why ``ip`` may not be connected to, or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return refusal(ip.ipv4_mapped, allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global or ip.is_reserved:
        return "a reserved or non-global address"
    return None


def _literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_addresses(host: str, addresses: list[str], *, allow_loopback: bool) -> list[str]:
    """The addresses ``host`` resolved to, if every one is allowed; else ``UnsafeTarget``."""
    if not addresses:
        raise UnsafeTarget(f"{host} does not resolve to any address", host=host)
    for raw in addresses:
        ip = ipaddress.ip_address(raw.split("%", 1)[0])
        why = refusal(ip, allow_loopback=allow_loopback)
        if why is not None:
            raise UnsafeTarget(f"{host} is (or resolves to) {why}; it is not allowed", host=host)
    return addresses


def _addresses(infos: list[tuple[object, ...]]) -> list[str]:
    seen: list[str] = []
    for info in infos:
        sockaddr = info[4]
        address = str(sockaddr[0]) if isinstance(sockaddr, tuple) else str(sockaddr)
        if address not in seen:
            seen.append(address)
    return seen


def resolve(host: str, port: int, *, allow_loopback: bool) -> list[str]:
    """Resolve ``host`` and check every address (blocking; see ``resolve_async``)."""
    literal = _literal(host)
    if literal is not None:
        return check_addresses(host, [str(literal)], allow_loopback=allow_loopback)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"{host} cannot be resolved: {exc}"[:200], host=host) from exc
    return check_addresses(host, _addresses(list(infos)), allow_loopback=allow_loopback)


async def resolve_async(host: str, port: int, *, allow_loopback: bool) -> list[str]:
    """Resolve ``host`` on the event loop and check every address."""
    literal = _literal(host)
    if literal is not None:
        return check_addresses(host, [str(literal)], allow_loopback=allow_loopback)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"{host} cannot be resolved: {exc}"[:200], host=host) from exc
    return check_addresses(host, _addresses(list(infos)), allow_loopback=allow_loopback)


def parse_http_target(url: str, *, allow_loopback: bool) -> HttpTarget:
    """Check a webhook URL's shape: https (http only to an allowed loopback host), a host, no
    credentials in it; at most 2,000 characters."""
    url = (url or "").strip()
    if not url or len(url) > 2000 or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise ValidationFailed("the URL must be 1-2000 characters without spaces", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed(f"not a valid URL: {exc}", field="url") from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host:
        raise ValidationFailed("the URL must be http(s)://host/...", field="url")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("the URL must not carry credentials", field="url")
    literal = _literal(host)
    if scheme == "http" and not (allow_loopback and _is_loopback_name(host, literal)):
        raise UnsafeTarget("webhook URLs must use https", field="url")
    if literal is not None:
        check_addresses(host, [str(literal)], allow_loopback=allow_loopback)
    elif not allow_loopback and host.lower() in ("localhost", "localhost.localdomain"):
        raise UnsafeTarget("localhost is not allowed", field="url")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return HttpTarget(url, scheme, host, port or (443 if scheme == "https" else 80), path)


def _is_loopback_name(host: str, literal: IpAddress | None) -> bool:
    if literal is not None:
        return literal.is_loopback
    return host.lower() in ("localhost", "localhost.localdomain")


def check_host(host: str, port: int, *, allow_loopback: bool) -> list[str]:
    """Refuse an IMAP host (or any host) that is or resolves to a forbidden address; the
    checked addresses (connect to one of them, not to the name resolved again)."""
    if not host or len(host) > 253:
        raise ValidationFailed("give a host name", field="host")
    return resolve(host, port, allow_loopback=allow_loopback)
