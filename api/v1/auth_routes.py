"""Sign-up, sign-in, refresh, sign-out and the current user."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from api.deps import BearerDep, CurrentUserDep, ServicesDep, client_ip, is_service_principal
from api.errors import problem_responses
from api.v1.schemas import (
    RefreshCreate,
    SessionPublic,
    SignInCreate,
    SignUpCreate,
    SignUpPublic,
    UserPublic,
)
from core.auth.models import SIGN_UP_MESSAGES, AuthSession
from core.auth.passwords import check_password_length
from core.errors import AuthError, ConfirmationRequired, Forbidden

router = APIRouter(prefix="/auth", tags=["auth"])


def _public(session: AuthSession) -> SessionPublic:
    return SessionPublic(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        token_type=session.token_type,
        expires_at=session.expires_at,
        user=UserPublic(id=session.user.id, email=session.user.email, role=session.user.role),
    )


@router.post(
    "/sign-up",
    response_model=SignUpPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(422, 429),
)
def sign_up(body: SignUpCreate, services: ServicesDep) -> SignUpPublic:
    """Request an account, then sign in; the answer never tells whether the address had one."""
    check_password_length(body.password)  # Supabase Auth and bcrypt take at most 72 bytes
    result = services.auth.sign_up(body.email, body.password)
    return SignUpPublic(state=result.state, message=result.message)


@router.post(
    "/sign-in",
    response_model=SessionPublic,
    responses={
        202: {"model": SignUpPublic, "description": "the address must be confirmed first"},
        **problem_responses(401, 429),
    },
)
def sign_in(
    body: SignInCreate, request: Request, services: ServicesDep
) -> SessionPublic | JSONResponse:
    """Exchange e-mail and password for tokens; 202 {state} while the address is unconfirmed."""
    # Failed sign-ins lock the (e-mail, client address) pair: the address is resolved as for
    # rate limiting (behind the proxy, uvicorn's --proxy-headers from trusted addresses).
    try:
        session = services.auth.sign_in(body.email, body.password, client_ip=client_ip(request))
    except ConfirmationRequired:
        # Not a failed sign-in: the password matched and the next step is the e-mailed link.
        pending = SignUpPublic(state="confirm_email", message=SIGN_UP_MESSAGES["confirm_email"])
        return JSONResponse(pending.model_dump(), status_code=status.HTTP_202_ACCEPTED)
    return _public(session)


@router.post("/refresh", response_model=SessionPublic, responses=problem_responses(401))
def refresh(body: RefreshCreate, services: ServicesDep) -> SessionPublic:
    """Rotate a refresh token into a new token pair (the old one stops working)."""
    return _public(services.auth.refresh(body.refresh_token))


@router.post("/sign-out", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401))
def sign_out(
    user: CurrentUserDep,
    credentials: BearerDep,
    services: ServicesDep,
    everywhere: bool = Query(
        False, description="revoke every session of the user, not just this one"
    ),
) -> None:
    """Revoke the session of the access token (its refresh tokens stop working)."""
    if credentials is None:
        raise AuthError("sign in first")
    if is_service_principal(user):
        raise Forbidden("an API key has no session to sign out of; an owner revokes it")
    if everywhere:
        services.auth.sign_out_everywhere(credentials.credentials)
    else:
        services.auth.sign_out(credentials.credentials)


@router.get("/me", response_model=UserPublic, responses=problem_responses(401))
def me(user: CurrentUserDep) -> UserPublic:
    """The signed-in user."""
    return UserPublic(id=user.id, email=user.email, role=user.role)
