"""The Supabase auth adapter over real HTTP against the loopback Supabase fake."""

from __future__ import annotations

import time
import uuid

import pytest

from core.auth.port import AuthProvider
from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.errors import (
    ConfigurationError,
    InvalidCredentials,
    InvalidToken,
    RefreshTokenReused,
    SessionRevoked,
    UpstreamError,
    WeakPassword,
)
from tests.fakes.supabase_fake import SupabaseFake
from tests.integration.auth.conftest import register

PASSWORD = "long enough password"


def email() -> str:
    return f"sb-{uuid.uuid4().hex[:10]}@example.test"


def test_supabase_provider_satisfies_the_port(supabase_auth: SupabaseAuthProvider) -> None:
    assert isinstance(supabase_auth, AuthProvider)


def test_sign_up_then_sign_in_gives_a_verified_session(
    supabase_auth: SupabaseAuthProvider, supabase_fake: SupabaseFake
) -> None:
    address = email()
    session = register(supabase_auth, address, PASSWORD, user_metadata={"name": "Ada"})
    assert session.user.email == address
    assert session.user.claims["iss"] == supabase_fake.issuer
    assert session.user.claims["user_metadata"] == {"name": "Ada"}
    assert session.expires_at == session.user.claims["exp"]
    assert session.refresh_token


def test_sign_up_needing_confirmation_says_so(
    supabase_auth: SupabaseAuthProvider, supabase_fake: SupabaseFake
) -> None:
    supabase_fake.confirm_email = True
    result = supabase_auth.sign_up(email(), PASSWORD)
    assert result.state == "confirm_email"  # a state, not an error (issue 18: 202, not 401)


def test_sign_up_errors_are_translated(supabase_auth: SupabaseAuthProvider) -> None:
    with pytest.raises(WeakPassword):
        supabase_auth.sign_up(email(), "123")


def test_sign_in_and_wrong_password(supabase_auth: SupabaseAuthProvider) -> None:
    address = email()
    created = register(supabase_auth, address, PASSWORD)
    session = supabase_auth.sign_in(address, PASSWORD)
    assert session.user.id == created.user.id
    assert session.user.session_id != created.user.session_id
    with pytest.raises(InvalidCredentials):
        supabase_auth.sign_in(address, "wrong password")


def test_refresh_rotates_and_follows_gotrues_reuse_rules(
    supabase_auth: SupabaseAuthProvider, supabase_fake: SupabaseFake
) -> None:
    # GoTrue internal/tokens/service.go: the previous token again gives the current session;
    # an older one after the reuse interval is refresh_token_already_used and revokes the
    # session's tokens; a token that cannot be one is validation_failed (here: InvalidToken).
    supabase_fake.reuse_interval = 0.2
    first = register(supabase_auth, email(), PASSWORD)
    second = supabase_auth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.user.id == first.user.id
    again = supabase_auth.refresh(first.refresh_token)  # the answer got lost: same session back
    assert again.refresh_token == second.refresh_token
    third = supabase_auth.refresh(second.refresh_token)
    time.sleep(0.3)  # past the reuse interval
    with pytest.raises(RefreshTokenReused):
        supabase_auth.refresh(first.refresh_token)  # two generations old: reuse
    time.sleep(0.3)
    with pytest.raises(RefreshTokenReused):
        supabase_auth.refresh(third.refresh_token)  # the family was revoked with it
    with pytest.raises(InvalidToken, match="not found"):
        supabase_auth.refresh("neverissued12")
    with pytest.raises(InvalidToken, match="malformed"):
        supabase_auth.refresh("not a token!")


def test_refresh_after_sign_out_is_refresh_token_not_found(
    supabase_auth: SupabaseAuthProvider,
) -> None:
    session = register(supabase_auth, email(), PASSWORD)
    supabase_auth.sign_out(session.access_token)
    with pytest.raises(InvalidToken, match="not found") as refused:
        supabase_auth.refresh(session.refresh_token)
    assert not isinstance(refused.value, SessionRevoked | RefreshTokenReused)


def test_sign_out_revokes_the_session_and_is_idempotent(
    supabase_auth: SupabaseAuthProvider,
) -> None:
    address = email()
    phone = register(supabase_auth, address, PASSWORD)
    laptop = supabase_auth.sign_in(address, PASSWORD)
    assert supabase_auth.get_user(phone.access_token).id == phone.user.id
    supabase_auth.sign_out(phone.access_token)
    with pytest.raises(SessionRevoked):
        supabase_auth.get_user(phone.access_token)
    assert supabase_auth.get_user(laptop.access_token).email == address
    supabase_auth.sign_out(phone.access_token)


def test_garbage_token_is_refused_before_any_request(
    supabase_auth: SupabaseAuthProvider, supabase_fake: SupabaseFake
) -> None:
    before = len(supabase_fake.requests)
    with pytest.raises(InvalidToken):
        supabase_auth.get_user("not.a.jwt")
    assert len(supabase_fake.requests) == before


def test_no_signed_in_client_is_shared_between_users(
    supabase_auth: SupabaseAuthProvider, supabase_fake: SupabaseFake
) -> None:
    alice = register(supabase_auth, email(), PASSWORD)
    bob = register(supabase_auth, email(), PASSWORD)
    supabase_fake.requests.clear()
    assert supabase_auth.get_user(bob.access_token).id == bob.user.id
    assert supabase_auth.get_user(alice.access_token).id == alice.user.id
    sent = [auth for method, path, auth in supabase_fake.requests if path.endswith("/user")]
    assert sent == [f"Bearer {bob.access_token}", f"Bearer {alice.access_token}"]
    # Sign-in requests carry only the anon key, never a previous user's token.
    supabase_fake.requests.clear()
    supabase_auth.sign_in(alice.user.email or "", PASSWORD)
    assert supabase_fake.requests[-1][2] == f"Bearer {supabase_fake.anon_key}"


def test_wrong_anon_key_is_a_configuration_error(
    fake_settings: Settings, supabase_fake: SupabaseFake
) -> None:
    wrong = fake_settings.model_copy(
        update={"supabase_anon_key": fake_settings.jwt_secret.__class__("not-the-anon-key")}
    )
    provider = SupabaseAuthProvider(wrong, verifier=TokenVerifier.from_settings(wrong))
    with pytest.raises(ConfigurationError):
        provider.sign_in(email(), PASSWORD)


def test_unreachable_supabase_is_an_upstream_error(fake_settings: Settings) -> None:
    down = fake_settings.model_copy(update={"supabase_url": "http://127.0.0.1:9"})
    provider = SupabaseAuthProvider(down, verifier=TokenVerifier.from_settings(fake_settings))
    with pytest.raises(UpstreamError):
        provider.sign_in(email(), PASSWORD)
