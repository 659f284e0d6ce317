"""What the API knows about the request being served: its id and its route template.

Its own module so that both the error handlers (``api.errors``) and the middleware that sets the
id (``api.observability``) read it without importing each other.
"""

from __future__ import annotations

import contextvars

from starlette.types import Scope

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return request_id_var.get()


def route_template(scope: Scope) -> str:
    """The matched route's template (``/invoices/{invoice_id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"  # raw paths would explode label cardinality
