"""The Supabase auth adapter against a real project (skipped without SUPABASE_TEST_*)."""

from __future__ import annotations

import os

import pytest

from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.errors import InvalidCredentials, InvalidToken, RefreshTokenReused, SessionRevoked
from tests.integration.supabase_live import live_settings_or_skip

pytestmark = pytest.mark.live


@pytest.fixture
def live_auth() -> SupabaseAuthProvider:
    settings = live_settings_or_skip()
    return SupabaseAuthProvider(settings, verifier=TokenVerifier.from_settings(settings))


def test_live_sign_in_refresh_reuse_and_sign_out(live_auth: SupabaseAuthProvider) -> None:
    email = os.environ["SUPABASE_TEST_EMAIL"]
    session = live_auth.sign_in(email, os.environ["SUPABASE_TEST_PASSWORD"])
    assert session.user.email == email.lower()
    assert live_auth.get_user(session.access_token).id == session.user.id
    rotated = live_auth.refresh(session.refresh_token)
    assert rotated.refresh_token != session.refresh_token
    # GoTrue: the previous token again (a lost answer) gives the current session back.
    assert live_auth.refresh(session.refresh_token).refresh_token == rotated.refresh_token
    live_auth.sign_out(rotated.access_token)
    with pytest.raises(SessionRevoked):
        live_auth.get_user(rotated.access_token)
    # Sign-out deleted the session and its refresh tokens: refresh_token_not_found.
    with pytest.raises(InvalidToken, match="not found") as refused:
        live_auth.refresh(rotated.refresh_token)
    assert not isinstance(refused.value, RefreshTokenReused)


def test_live_wrong_password_is_invalid_credentials(live_auth: SupabaseAuthProvider) -> None:
    with pytest.raises(InvalidCredentials):
        live_auth.sign_in(os.environ["SUPABASE_TEST_EMAIL"], "definitely not the password")
