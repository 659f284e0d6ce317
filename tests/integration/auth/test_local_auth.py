"""The local auth adapter against the real database: users, sessions, rotation, slowdown."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text

from core.auth.local_auth import LocalAuthProvider
from core.auth.port import AuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.db.engine import make_engine
from core.db.session import user_session
from core.errors import (
    InvalidCredentials,
    InvalidToken,
    RateLimited,
    RefreshTokenReused,
    SessionRevoked,
    TokenExpired,
    ValidationFailed,
    WeakPassword,
)
from tests.integration.auth.conftest import register

PASSWORD = "long enough password"


def new_email() -> str:
    return f"auth-{uuid.uuid4().hex[:12]}@example.test"


def test_local_provider_satisfies_the_port(local_auth: LocalAuthProvider) -> None:
    assert isinstance(local_auth, AuthProvider)


def test_sign_up_issues_supabase_shaped_tokens(
    local_auth: LocalAuthProvider, auth_settings: Settings
) -> None:
    email = new_email()
    session = register(local_auth, email.upper(), PASSWORD, user_metadata={"name": "Ada"})
    claims = TokenVerifier.from_settings(auth_settings).verify(session.access_token)
    assert claims["sub"] == str(session.user.id)
    assert claims["role"] == "authenticated"
    assert claims["aud"] == "authenticated"
    assert claims["email"] == email
    assert claims["iss"] == auth_settings.effective_jwt_issuer
    assert claims["exp"] - claims["iat"] == auth_settings.access_token_ttl_seconds
    assert claims["app_metadata"] == {"provider": "email", "providers": ["email"]}
    assert claims["user_metadata"] == {"name": "Ada"}
    assert claims["aal"] == "aal1"
    uuid.UUID(claims["session_id"])
    assert session.expires_at == claims["exp"]


def test_password_is_stored_as_bcrypt_hash(local_auth: LocalAuthProvider, engine: Engine) -> None:
    session = register(local_auth, new_email(), PASSWORD)
    with engine.connect() as conn:
        stored = conn.execute(
            text("select encrypted_password from auth.users where id = :id"),
            {"id": session.user.id},
        ).scalar_one()
    assert stored.startswith("$2b$")
    assert PASSWORD not in stored


def test_tokens_open_an_rls_session_as_that_user(
    local_auth: LocalAuthProvider, engine: Engine
) -> None:
    session = register(local_auth, new_email(), PASSWORD)
    with user_session(engine, session.user.claims) as s:
        uid = s.execute(text("select auth.uid()")).scalar_one()
    assert uid == session.user.id


@pytest.mark.parametrize("password", ["short", "", "x" * 9])
def test_sign_up_refuses_short_passwords(local_auth: LocalAuthProvider, password: str) -> None:
    with pytest.raises(WeakPassword, match="at least 10"):
        local_auth.sign_up(new_email(), password)


def test_sign_up_refuses_passwords_bcrypt_would_truncate(local_auth: LocalAuthProvider) -> None:
    with pytest.raises(WeakPassword, match="72 bytes"):
        local_auth.sign_up(new_email(), "é" * 40)


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "two@@example.test", "x" * 300])
def test_sign_up_refuses_invalid_emails(local_auth: LocalAuthProvider, email: str) -> None:
    with pytest.raises(ValidationFailed):
        local_auth.sign_up(email, PASSWORD)


def test_sign_up_twice_with_the_same_email_answers_the_same(local_auth: LocalAuthProvider) -> None:
    email = new_email()
    first = local_auth.sign_up(email, PASSWORD)
    assert local_auth.sign_up(email.upper(), PASSWORD + "?") == first  # F11: no enumeration


def test_sign_in_opens_a_new_session(local_auth: LocalAuthProvider) -> None:
    email = new_email()
    first = register(local_auth, email, PASSWORD)
    second = local_auth.sign_in(f"  {email.upper()} ", PASSWORD)
    assert second.user.id == first.user.id
    assert second.user.session_id != first.user.session_id
    assert local_auth.get_user(second.access_token).id == first.user.id


def test_sign_in_works_for_users_created_by_the_shared_fixture(
    local_auth: LocalAuthProvider, make_user: Callable[..., object]
) -> None:
    user = make_user(password=PASSWORD)
    session = local_auth.sign_in(user.email, PASSWORD)  # type: ignore[attr-defined]
    assert session.user.id == user.id  # type: ignore[attr-defined]


def test_wrong_password_and_unknown_email_fail_alike(local_auth: LocalAuthProvider) -> None:
    email = new_email()
    local_auth.sign_up(email, PASSWORD)
    with pytest.raises(InvalidCredentials) as wrong:
        local_auth.sign_in(email, PASSWORD + "!")
    with pytest.raises(InvalidCredentials) as unknown:
        local_auth.sign_in(new_email(), PASSWORD)
    assert wrong.value.message == unknown.value.message == "invalid e-mail or password"


def test_repeated_failures_slow_sign_in_down_then_recover(local_auth: LocalAuthProvider) -> None:
    email = new_email()
    local_auth.sign_up(email, PASSWORD)
    for _ in range(3):  # signin_max_failures = 3 in these tests
        with pytest.raises(InvalidCredentials):
            local_auth.sign_in(email, "wrong password!")
    # Even the right password is refused while slowed down: the lock does not leak the answer.
    with pytest.raises(RateLimited) as limited:
        local_auth.sign_in(email, PASSWORD)
    assert 0 < limited.value.retry_after <= 0.5
    time.sleep(limited.value.retry_after + 0.05)
    assert local_auth.sign_in(email, PASSWORD).user.email == email
    # Success resets the counter: one more failure is an ordinary failure, not a slowdown.
    with pytest.raises(InvalidCredentials):
        local_auth.sign_in(email, "wrong password!")


def test_slowdown_doubles_with_each_further_failure(local_auth: LocalAuthProvider) -> None:
    email = new_email()
    local_auth.sign_up(email, PASSWORD)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            local_auth.sign_in(email, "wrong password!")
    time.sleep(0.55)
    with pytest.raises(InvalidCredentials):
        local_auth.sign_in(email, "wrong password!")  # 4th failure: next wait is 1.0 s
    with pytest.raises(RateLimited) as limited:
        local_auth.sign_in(email, PASSWORD)
    assert 0.5 < limited.value.retry_after <= 1.0


def test_slowdown_holds_across_processes_sharing_the_database(
    make_local_auth: Callable[..., LocalAuthProvider], auth_settings: Settings
) -> None:
    email = new_email()
    first = make_local_auth()
    first.sign_up(email, PASSWORD)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            first.sign_in(email, "wrong password!")
    other_engine = make_engine(auth_settings)  # its own pool, as another process would have
    try:
        with pytest.raises(RateLimited):
            make_local_auth(engine_=other_engine).sign_in(email, PASSWORD)
    finally:
        other_engine.dispose()


def test_refresh_rotates_and_stores_only_digests(
    local_auth: LocalAuthProvider, engine: Engine
) -> None:
    first = register(local_auth, new_email(), PASSWORD)
    second = local_auth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.user.session_id == first.user.session_id
    assert local_auth.get_user(second.access_token).id == first.user.id
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select token, revoked, parent from auth.refresh_tokens"
                " where session_id = :sid order by id"
            ),
            {"sid": uuid.UUID(first.user.session_id or "")},
        ).all()
    raw = (first.refresh_token, second.refresh_token)
    digest = [hashlib.sha256(t.encode()).hexdigest() for t in raw]
    assert [r.token for r in rows] == digest
    assert [r.revoked for r in rows] == [True, False]
    assert rows[1].parent == digest[0]
    assert all(first.refresh_token not in r.token for r in rows)


def test_reusing_a_rotated_refresh_token_revokes_the_session(
    local_auth: LocalAuthProvider,
) -> None:
    first = register(local_auth, new_email(), PASSWORD)
    second = local_auth.refresh(first.refresh_token)
    with pytest.raises(RefreshTokenReused):
        local_auth.refresh(first.refresh_token)
    # The legitimate-looking newest token dies with the session, and so does the access token.
    with pytest.raises(InvalidToken):
        local_auth.refresh(second.refresh_token)
    with pytest.raises(SessionRevoked):
        local_auth.get_user(second.access_token)


def test_concurrent_refreshes_of_one_token_let_only_one_win(
    local_auth: LocalAuthProvider,
) -> None:
    session = register(local_auth, new_email(), PASSWORD)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def attempt() -> None:
        barrier.wait()
        try:
            local_auth.refresh(session.refresh_token)
            outcomes.append("ok")
        except RefreshTokenReused:
            outcomes.append("reused")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "reused"]


def test_sign_out_revokes_only_that_session(local_auth: LocalAuthProvider) -> None:
    email = new_email()
    phone = register(local_auth, email, PASSWORD)
    laptop = local_auth.sign_in(email, PASSWORD)
    local_auth.sign_out(phone.access_token)
    with pytest.raises(SessionRevoked):
        local_auth.get_user(phone.access_token)
    with pytest.raises(InvalidToken):
        local_auth.refresh(phone.refresh_token)
    assert local_auth.get_user(laptop.access_token).email == email
    local_auth.sign_out(phone.access_token)  # twice is fine


def test_expired_access_token_is_refused(
    make_local_auth: Callable[..., LocalAuthProvider], auth_settings: Settings
) -> None:
    short = auth_settings.model_copy(
        update={"access_token_ttl_seconds": -60, "jwt_leeway_seconds": 0}
    )
    provider = make_local_auth(settings=short)
    session = register(provider, new_email(), PASSWORD)
    with pytest.raises(TokenExpired):
        provider.get_user(session.access_token)
    with pytest.raises(TokenExpired):
        TokenVerifier.from_settings(short).verify(session.access_token)
    # The refresh token still works: that is what it is for.
    assert provider.refresh(session.refresh_token).refresh_token


def test_refresh_after_the_session_lifetime_is_refused(
    local_auth: LocalAuthProvider, engine: Engine
) -> None:
    session = register(local_auth, new_email(), PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            text("update auth.sessions set not_after = now() - interval '1 minute' where id = :s"),
            {"s": uuid.UUID(session.user.session_id or "")},
        )
    with pytest.raises(TokenExpired):
        local_auth.refresh(session.refresh_token)
    with pytest.raises(SessionRevoked):
        local_auth.get_user(session.access_token)


def test_unknown_refresh_token_is_refused(local_auth: LocalAuthProvider) -> None:
    with pytest.raises(InvalidToken, match="not found"):
        local_auth.refresh("made-up-token")
    with pytest.raises(InvalidToken):
        local_auth.refresh("")


def test_token_from_another_secret_is_refused(
    make_local_auth: Callable[..., LocalAuthProvider], auth_settings: Settings
) -> None:
    other = auth_settings.model_copy(
        update={"jwt_secret": auth_settings.jwt_secret.__class__("another-secret-" + "x" * 40)}
    )
    foreign = register(make_local_auth(settings=other), new_email(), PASSWORD)
    with pytest.raises(InvalidToken, match="signature"):
        make_local_auth().get_user(foreign.access_token)


def test_sign_out_everywhere_revokes_every_session_of_the_user(
    local_auth: LocalAuthProvider,
) -> None:
    email = new_email()
    phone = register(local_auth, email, PASSWORD)
    laptop = local_auth.sign_in(email, PASSWORD)
    other = register(local_auth, new_email(), PASSWORD)
    local_auth.sign_out_everywhere(laptop.access_token)
    for gone in (phone, laptop):
        with pytest.raises(SessionRevoked):
            local_auth.get_user(gone.access_token)
    assert local_auth.get_user(other.access_token).id == other.user.id  # nobody else's
    local_auth.sign_out_everywhere(laptop.access_token)  # twice: not an error
