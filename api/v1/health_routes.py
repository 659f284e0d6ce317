"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import ServicesDep
from core.version import version
from core.workflow.readiness import check_readiness

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    """The process is up, and which version of the product it runs."""

    status: Literal["ok"] = "ok"
    version: str = Field(examples=["0.1.0"])


class ComponentPublic(BaseModel):
    ok: bool
    detail: str = Field(default="", examples=["select 1 in 2.1 ms"])


class ReadinessPublic(BaseModel):
    """Whether each dependency answers; ``ready`` only when all do."""

    ready: bool
    components: dict[str, ComponentPublic]


@router.get("/health", response_model=HealthPublic, summary="Liveness")
def health() -> HealthPublic:
    """Answer 200 as long as the process serves requests (no dependency is touched)."""
    return HealthPublic(version=version())


@router.get(
    "/ready",
    response_model=ReadinessPublic,
    summary="Readiness",
    responses={503: {"model": ReadinessPublic, "description": "a dependency is down"}},
)
def ready(services: ServicesDep) -> JSONResponse:
    """Check the database, file storage and job queue; 503 when any of them fails."""
    components = check_readiness(services)
    body = ReadinessPublic(
        ready=all(c.ok for c in components.values()),
        components={k: ComponentPublic(ok=v.ok, detail=v.detail) for k, v in components.items()},
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)
