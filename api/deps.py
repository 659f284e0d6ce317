"""FastAPI dependencies: the service container, settings and the verified current user.

Everything comes from ``app.state`` (filled by the lifespan from ``core.bootstrap``); nothing is
built at import time. Routes take these through the ``Annotated`` aliases below.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.rate_limit import RateLimiter
from core.auth.models import CurrentUser
from core.config import Settings
from core.errors import AuthError
from core.workflow.services import Services

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/sign-in")


# The trivial dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency
# in the thread pool, a hop that costs more than the attribute read itself.


async def get_services(request: Request) -> Services:
    """The frozen service container built by ``core.bootstrap.build_services``."""
    services: Services = request.app.state.services
    return services


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def client_ip(request: Request) -> str:
    """The peer address (a proxy in front must set the real one via uvicorn --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def limit_by_ip(request: Request) -> None:
    """Rate limits for every /api/v1 route except health: per IP, plus per user with a token.

    A valid token is verified here so IP and user are counted together in one round trip, on
    the event loop (no thread hop); ``get_current_user`` reuses the result. An invalid token
    counts the IP only (the route's own auth dependency refuses it).
    """
    checks = [("ip", client_ip(request))]
    token = _bearer_token(request)
    if token is not None:
        verifier = (await get_services(request)).verifier
        # A token seen before is answered from the verifier's cache; a new one may need the
        # issuer's keys (network), so it is verified in the thread pool.
        user: CurrentUser | None = verifier.cached_user(token)
        if user is None:
            try:
                user = await run_in_threadpool(verifier.current_user, token)
            except AuthError:
                user = None
        if user is not None:
            request.state.current_user = user
            checks.append(("user", str(user.id)))
    await _limiter(request).hit_all_async(checks)


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUser:
    """The verified user of the bearer token (401 without a valid one)."""
    if credentials is None or not credentials.credentials:
        raise AuthError("sign in first: send 'Authorization: Bearer <access token>'")
    user: CurrentUser | None = getattr(request.state, "current_user", None)
    if user is None or user.access_token != credentials.credentials:
        # Not verified by ``limit_by_ip``: verification may fetch keys and the limiter hits the
        # database, so both run in the thread pool.
        user = await run_in_threadpool(_verify_and_count, request, credentials.credentials)
    request.state.user_id = str(user.id)
    return user


def _verify_and_count(request: Request, token: str) -> CurrentUser:
    user: CurrentUser = request.app.state.services.verifier.current_user(token)
    _limiter(request).hit("user", str(user.id))
    return user


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CurrentUserDep = Annotated[CurrentUser, Depends(get_current_user)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
