"""Assembles the v1 routers; health stays outside the rate limit so probes never get 429."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.v1 import health_routes


def build_router(*, limit_by_ip: Any) -> APIRouter:
    """The /api/v1 router with the per-IP limit on everything but health."""
    root = APIRouter()
    root.include_router(health_routes.router)
    limited = APIRouter(dependencies=[limit_by_ip])
    for module in _resource_modules():
        limited.include_router(module.router)
    root.include_router(limited)
    return root


def _resource_modules() -> list[Any]:
    from api.v1 import (
        api_key_routes,
        auth_routes,
        client_routes,
        einvoice_routes,
        export_routes,
        invitation_routes,
        invoice_routes,
        mailbox_routes,
        match_routes,
        uploads,
        webhook_routes,
    )

    return [
        auth_routes,
        client_routes,
        invitation_routes,
        api_key_routes,
        uploads,
        invoice_routes,
        einvoice_routes,
        match_routes,
        export_routes,
        webhook_routes,
        mailbox_routes,
    ]
