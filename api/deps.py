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
from core.auth.api_keys import looks_like_key
from core.auth.models import CurrentUser
from core.config import Settings
from core.errors import AuthError, InvalidApiKey
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


async def authenticate(request: Request) -> CurrentUser | None:
    """The caller proven by the bearer credential (an access token or an API key), or None.

    Verified once per request and kept on ``request.state`` (``current_user`` and the credential
    it was proven by), so the idempotency middleware, the rate limit and the route's auth share
    one verification. A token seen before is answered from the verifier's cache on the event
    loop; a new one may need the issuer's keys (network) and an API key always asks the
    database (no cache: a revoked key fails on its next request), so those run in the thread
    pool. An invalid credential gives None here; the route's own auth dependency refuses it.
    """
    token = _bearer_token(request)
    if token is None:
        return None
    known: CurrentUser | None = getattr(request.state, "current_user", None)
    if known is not None and getattr(request.state, "auth_token", None) == token:
        return known
    services = await get_services(request)
    user: CurrentUser | None = None
    try:
        if looks_like_key(token):
            if services.api_keys is not None:
                user = await run_in_threadpool(services.api_keys.authenticate, token)
        else:
            user = services.verifier.cached_user(token)
            if user is None:
                user = await run_in_threadpool(services.verifier.current_user, token)
    except AuthError:
        return None
    if user is not None:
        request.state.current_user = user
        request.state.auth_token = token
    return user


def _rate_scope(user: CurrentUser) -> tuple[str, str]:
    """An API key is limited per key, a person per user."""
    metadata = user.claims.get("app_metadata")
    key_id = metadata.get("api_key_id") if isinstance(metadata, dict) else None
    return ("key", str(key_id)) if key_id else ("user", str(user.id))


async def limit_by_ip(request: Request) -> None:
    """Rate limits for every /api/v1 route except health: per IP, plus per user or per API key
    with a valid credential (counted together in one round trip, on the event loop)."""
    checks = [("ip", client_ip(request))]
    user = await authenticate(request)
    if user is not None:
        checks.append(_rate_scope(user))
    await _limiter(request).hit_all_async(checks)


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUser:
    """The verified user (or API key principal) of the bearer credential (401 without one)."""
    if credentials is None or not credentials.credentials:
        raise AuthError("sign in first: send 'Authorization: Bearer <access token or API key>'")
    user: CurrentUser | None = getattr(request.state, "current_user", None)
    if user is None or getattr(request.state, "auth_token", None) != credentials.credentials:
        # Not verified by ``authenticate`` (a route outside the limited router): verification
        # may fetch keys and the limiter hits the database, so both run in the thread pool.
        user = await run_in_threadpool(_verify_and_count, request, credentials.credentials)
    request.state.user_id = str(user.id)
    return user


def _verify_and_count(request: Request, token: str) -> CurrentUser:
    services: Services = request.app.state.services
    if looks_like_key(token):
        if services.api_keys is None:
            raise InvalidApiKey("API keys are not enabled")
        user = services.api_keys.authenticate(token)
    else:
        user = services.verifier.current_user(token)
    request.state.current_user = user
    request.state.auth_token = token
    _limiter(request).hit(*_rate_scope(user))
    return user


def is_service_principal(user: CurrentUser) -> bool:
    """True when the caller is an API key (or another service principal), not a person."""
    metadata = user.claims.get("app_metadata")
    return isinstance(metadata, dict) and bool(metadata.get("service_principal"))


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CurrentUserDep = Annotated[CurrentUser, Depends(get_current_user)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
