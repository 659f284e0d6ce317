"""Response headers for every file download: saved by the browser, never rendered or run.

An uploaded file is attacker-controlled content served from the product's origin (issue 11, F2):
``Content-Disposition: attachment`` makes the browser save it, ``Content-Security-Policy:
sandbox`` gives it an opaque origin with scripts off should anything render it anyway, and
``nosniff`` stops a browser from guessing HTML or script out of it.
"""

from __future__ import annotations

from core.storage.keys import content_disposition

# No scripts, plugins, forms or same-origin access, and nothing loaded, even if rendered inline.
SANDBOX_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"


def download_headers(filename: str | None) -> dict[str, str]:
    """The headers every download response carries."""
    return {
        "Content-Disposition": content_disposition(filename),
        "Content-Security-Policy": SANDBOX_CSP,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
