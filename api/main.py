"""The FastAPI application factory: ``uvicorn api.main:app --factory``.

``create_app`` only wires things together; the service container is built in the lifespan (or
passed in by tests), so importing this module does no work.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import limit_by_ip
from api.docs_routes import install_docs
from api.errors import install_error_handlers, problem_responses
from api.idempotency import install as install_idempotency
from api.observability import Metrics, RequestContextMiddleware, configure_logging
from api.openapi_files import install as install_openapi_files
from api.operation_ids import operation_id
from api.overload import InFlightLimitMiddleware
from api.queue_metrics import QueueCollector
from api.rate_limit import RateLimiter
from core.config import Settings
from core.db.rate_limit_store import PostgresLimitsStorage
from core.version import version
from core.workflow.services import Services

if TYPE_CHECKING:
    from limits.storage import Storage

log = logging.getLogger("invoiceflow.api")

DESCRIPTION = """InvoiceFlow REST API: upload invoices, let workers extract and match them,
review, approve and export. Every call runs as the signed-in user under Postgres row level
security. Errors are RFC 9457 `application/problem+json` with a stable `code`."""


def _default_services(settings: Settings) -> Services:
    from core.bootstrap import build_services  # the one composition root

    return build_services(settings)


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    services_factory: Callable[[Settings], Services] | None = None,
    rate_limit_storage: Storage | None = None,
) -> FastAPI:
    """Build the API app; services are created at startup unless given."""
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json_logs=settings.log_json)
        owned = services is None
        built = services or (services_factory or _default_services)(settings)
        app.state.services = built
        queue_gauges = QueueCollector(built.jobs.overview)
        metrics.registry.register(queue_gauges)
        storage = rate_limit_storage or built.rate_limit_storage
        app.state.rate_limiter = RateLimiter(
            user_limit=settings.api_rate_limit,
            ip_limit=settings.api_rate_limit_ip,
            key_limit=settings.api_rate_limit_key,
            storage=storage,
        )
        try:
            yield
        finally:
            await app.state.rate_limiter.aclose()  # sends the hits counted locally
            if isinstance(storage, PostgresLimitsStorage):
                await storage.aclose()
            metrics.registry.unregister(queue_gauges)
            if owned:
                built.close()

    app = FastAPI(
        title="InvoiceFlow API",
        version=version(),
        description=DESCRIPTION,
        docs_url=None,  # served offline by install_docs below, not from a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    install_error_handlers(app)
    install_docs(app)
    # Innermost: it sees the request after load shedding and the request id, and its replays
    # get a request id of their own.
    install_idempotency(app)
    install_openapi_files(app)
    # Added last = outermost but one: shed load before any work, still with a request id.
    app.add_middleware(InFlightLimitMiddleware, max_in_flight=settings.api_max_in_flight)
    if settings.cors_origins:
        # Browsers on these origins (e.g. an ERP's web app) may call the API with a bearer token;
        # no cookies are used, so credentials stay off. Default: no origin, no CORS headers.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "X-Request-ID",
                "Idempotency-Key",
            ],
            expose_headers=["ETag", "X-Request-ID", "Retry-After", "Idempotent-Replayed"],
            allow_credentials=False,
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)

    from api.v1 import router as v1_router

    app.include_router(
        v1_router.build_router(limit_by_ip=Depends(limit_by_ip)),
        prefix="/api/v1",
        responses=problem_responses(422, 429, 500),
    )

    from api import storage_routes

    app.include_router(storage_routes.router, dependencies=[Depends(limit_by_ip)])

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def app() -> FastAPI:
    """Entry point for ``uvicorn api.main:app --factory`` (settings from the environment)."""
    return create_app()
