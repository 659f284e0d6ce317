"""RFC 9457 problem+json responses: ONE table from domain error classes to HTTP statuses.

The domain (``core.errors``) knows no HTTP; this is the only place that decides the status.
Unexpected exceptions become a bare 500 with the request id (``api.observability``), logged
with the traceback server-side and never shown to the client.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.request_context import current_request_id, route_template
from core import errors as e

log = logging.getLogger("invoiceflow.api")
PROBLEM_JSON = "application/problem+json"

# Most specific class first: the first isinstance match wins.
STATUS_BY_ERROR: tuple[tuple[type[e.InvoiceFlowError], int, str], ...] = (
    (e.RateLimited, 429, "Too Many Requests"),
    (e.UpstreamTimeout, 504, "Upstream Timeout"),
    (e.UpstreamError, 502, "Upstream Failure"),
    (e.TooLarge, 413, "Content Too Large"),
    (e.UnsupportedType, 415, "Unsupported Media Type"),
    (e.DocumentError, 422, "Unreadable Document"),
    (e.WeakPassword, 422, "Validation Failed"),
    (e.ValidationFailed, 422, "Validation Failed"),
    (e.AuthError, 401, "Unauthorized"),
    (e.Forbidden, 403, "Forbidden"),
    (e.NotFound, 404, "Not Found"),
    (e.Conflict, 409, "Conflict"),
    (e.ConfigurationError, 503, "Service Misconfigured"),
    (e.StorageUnavailable, 503, "Storage Unavailable"),
)
# Framework-level statuses (unknown route, wrong method...) get stable codes too.
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    503: "service_unavailable",
}


class Problem(BaseModel):
    """RFC 9457 problem details with a stable machine ``code``."""

    type: str = Field(
        default="about:blank", examples=["https://invoiceflow.dev/problems/not_found"]
    )
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["invoice not found"])
    code: str = Field(examples=["not_found"])
    instance: str | None = Field(default=None, examples=["/api/v1/invoices/…"])
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


def status_for(exc: e.InvoiceFlowError) -> tuple[int, str]:
    """HTTP status and title for a domain error."""
    for cls, status, title in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status, title
    return 400, "Bad Request"


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build one problem+json response."""
    return problem_json(
        status=status,
        title=title,
        detail=detail,
        code=code,
        instance=request.url.path,
        errors=errors,
        headers=headers,
    )


def problem_json(
    *,
    status: int,
    title: str,
    detail: str,
    code: str,
    instance: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response for ``instance`` (also an ASGI app, for pure-ASGI middleware)."""
    body = Problem(
        type=f"https://invoiceflow.dev/problems/{code}",
        title=title,
        status=status,
        detail=detail,
        code=code,
        instance=instance,
        request_id=current_request_id(),
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _safe_details(exc: e.InvoiceFlowError) -> list[dict[str, Any]] | None:
    errors = exc.details.get("errors")
    if isinstance(errors, list):
        return [x if isinstance(x, dict) else {"message": str(x)} for x in errors][:200]
    return None


def domain_problem(exc: e.InvoiceFlowError, *, instance: str) -> JSONResponse:
    """The answer to a domain error, wherever it is caught (the exception handler below and the
    pure-ASGI idempotency middleware): status and title from the table, ``errors`` from the
    error's details, ``Retry-After`` on a rate limit and ``WWW-Authenticate`` on an auth error."""
    status, title = status_for(exc)
    headers = {}
    if isinstance(exc, e.RateLimited):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if isinstance(exc, e.AuthError):
        headers["WWW-Authenticate"] = "Bearer"
    return problem_json(
        status=status,
        title=title,
        detail=exc.message,
        code=exc.code,
        instance=instance,
        errors=_safe_details(exc),
        headers=headers,
    )


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.InvoiceFlowError)
    response = domain_problem(exc, instance=request.url.path)
    # The route template, not the path: a signed URL's path names an object (F10).
    log.info(
        "domain error %s on %s",
        exc.code,
        route_template(request.scope),
        extra={"status": response.status_code},
    )
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(p) for p in err.get("loc", ())], "message": str(err.get("msg", ""))}
        for err in exc.errors()
    ]
    return problem_response(
        request,
        status=422,
        title="Validation Failed",
        detail="the request is not valid",
        code="validation_failed",
        errors=errors[:200],
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = CODE_BY_STATUS.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else code
    return problem_response(
        request,
        status=exc.status_code,
        title=code.replace("_", " ").capitalize(),
        detail=detail,
        code=code,
        headers=getattr(exc, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(e.InvoiceFlowError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Unexpected exceptions are turned into a bare 500 by RequestContextMiddleware, which sits
    # inside ServerErrorMiddleware and so still adds the request id header.


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry declaring problem+json bodies for ``statuses``."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": CODE_BY_STATUS.get(status, "error").replace("_", " "),
        }
    return out
