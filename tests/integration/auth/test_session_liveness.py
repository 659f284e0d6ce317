"""F7: an access token stops working within seconds once its session or user is revoked.

The verifier every API request goes through (``Services.verifier``) checks the token's
``session_id`` against ``auth.sessions`` and its user against ``auth.users`` (ban, soft delete),
with a short per-process cache (``session_check_ttl_seconds``). A second container stands in for
another API process that did not see the revocation happen.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.auth.verifier import TokenVerifier
from core.bootstrap import Services, build_services
from core.config import Settings
from core.errors import AuthError, RefreshTokenReused, SessionRevoked
from tests.fakes.supabase_fake import SupabaseFake, running_fake

pytestmark = pytest.mark.security

PASSWORD = "long enough password"
TTL = 0.5


def new_email() -> str:
    return f"live-{uuid.uuid4().hex[:12]}@example.test"


@pytest.fixture
def make_services(
    engine: Engine, test_settings: Settings, tmp_path: Path
) -> Iterator[Callable[..., Services]]:
    built: list[Services] = []

    def _make(**overrides: object) -> Services:
        settings = test_settings.model_copy(
            update={"data_dir": tmp_path, "session_check_ttl_seconds": TTL, **overrides}
        )
        services = build_services(settings, engine=engine)
        built.append(services)
        return services

    yield _make
    for services in built:
        services.close()


def refused_within(verifier: TokenVerifier, token: str, seconds: float) -> AuthError:
    """Poll the verifier until it refuses ``token``; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            verifier.current_user(token)
        except AuthError as exc:
            return exc
        if time.monotonic() > deadline:
            raise AssertionError(f"token still accepted {seconds} s after the revocation")
        time.sleep(0.05)


def test_sign_out_stops_the_access_token_in_every_process(
    make_services: Callable[..., Services],
) -> None:
    here, elsewhere = make_services(), make_services()
    email = new_email()
    here.auth.sign_up(email, PASSWORD)
    session = here.auth.sign_in(email, PASSWORD)
    token = session.access_token
    assert here.verifier.current_user(token).id == session.user.id
    assert elsewhere.verifier.current_user(token).id == session.user.id
    here.auth.sign_out(token)
    with pytest.raises(SessionRevoked):
        here.verifier.current_user(token)  # the process that signed out knows at once
    assert isinstance(refused_within(elsewhere.verifier, token, TTL + 2), SessionRevoked)


def test_refresh_token_reuse_stops_the_access_token(make_services: Callable[..., Services]) -> None:
    services = make_services()
    email = new_email()
    services.auth.sign_up(email, PASSWORD)
    first = services.auth.sign_in(email, PASSWORD)
    second = services.auth.refresh(first.refresh_token)
    assert services.verifier.current_user(second.access_token)
    with pytest.raises(RefreshTokenReused):
        services.auth.refresh(first.refresh_token)  # theft detected: the session is revoked
    for token in (first.access_token, second.access_token):
        assert isinstance(refused_within(services.verifier, token, TTL + 2), SessionRevoked)


@pytest.mark.parametrize(
    "revocation",
    [
        "update auth.users set banned_until = now() + interval '1 day' where id = :uid",
        "update auth.users set deleted_at = now() where id = :uid",
        "delete from auth.users where id = :uid",
    ],
    ids=["ban", "soft-delete", "hard-delete"],
)
def test_ban_and_deletion_stop_the_access_token(
    make_services: Callable[..., Services], engine: Engine, revocation: str
) -> None:
    services = make_services()
    email = new_email()
    services.auth.sign_up(email, PASSWORD)
    session = services.auth.sign_in(email, PASSWORD)
    assert services.verifier.current_user(session.access_token)
    with engine.begin() as conn:
        conn.execute(text(revocation), {"uid": session.user.id})
    refused = refused_within(services.verifier, session.access_token, TTL + 2)
    assert isinstance(refused, SessionRevoked)


def test_a_live_session_is_checked_at_most_once_per_ttl(
    make_services: Callable[..., Services], engine: Engine
) -> None:
    services = make_services(session_check_ttl_seconds=60.0)
    email = new_email()
    services.auth.sign_up(email, PASSWORD)
    token = services.auth.sign_in(email, PASSWORD).access_token
    user = services.verifier.current_user(token)
    assert services.verifier.cached_user(token) == user  # answered without the database


def test_a_token_without_a_session_is_refused(
    make_services: Callable[..., Services], make_user: Callable[..., object]
) -> None:
    import jwt

    services = make_services()
    settings = services.settings
    user = make_user()
    now = int(time.time())
    claims = {
        "iss": settings.effective_jwt_issuer, "aud": "authenticated", "role": "authenticated",
        "sub": str(user.id), "iat": now, "exp": now + 600,  # type: ignore[attr-defined]
    }  # fmt: skip
    secret = settings.jwt_secret.get_secret_value()
    for extra in ({}, {"session_id": str(uuid.uuid4())}):
        token = jwt.encode({**claims, **extra}, secret, algorithm="HS256")
        with pytest.raises(AuthError):
            services.verifier.current_user(token)


# --- Supabase: GoTrue keeps its sessions in the project's database --------------------------


@pytest.fixture
def supabase_fake() -> Iterator[SupabaseFake]:
    with running_fake() as fake:
        yield fake


def test_supabase_tokens_are_checked_against_auth_sessions_when_visible(
    supabase_fake: SupabaseFake,
    test_settings: Settings,
    engine: Engine,
    make_user: Callable[..., object],
    tmp_path: Path,
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", auth_backend="supabase", storage_backend="supabase",
        supabase_url=supabase_fake.url, supabase_anon_key=supabase_fake.anon_key,
        jwt_secret=supabase_fake.jwt_secret, database_url=test_settings.database_url,
        data_dir=tmp_path, session_check_ttl_seconds=TTL,
    )  # fmt: skip
    services = build_services(settings, engine=engine)
    try:
        user = make_user()
        session_id = str(uuid.uuid4())
        # What GoTrue writes on sign-in (the fake keeps its own copy in memory).
        with engine.begin() as conn:
            conn.execute(
                text("insert into auth.sessions (id, user_id) values (:sid, :uid)"),
                {"sid": session_id, "uid": user.id},  # type: ignore[attr-defined]
            )
        gotrue_user = {"id": str(user.id), "email": user.email, "meta": {}}  # type: ignore[attr-defined]
        token = supabase_fake.access_token(gotrue_user, session_id)
        assert services.verifier.current_user(token).id == user.id  # type: ignore[attr-defined]
        # GoTrue's sign-out deletes the session row (models.LogoutSession).
        with engine.begin() as conn:
            conn.execute(text("delete from auth.sessions where id = :sid"), {"sid": session_id})
        assert isinstance(refused_within(services.verifier, token, TTL + 2), SessionRevoked)
    finally:
        services.close()
