"""Fixtures for the local auth adapter against the real test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.auth.local_auth import LocalAuthProvider
from core.auth.models import AuthSession
from core.auth.port import AuthProvider
from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from tests.fakes.supabase_fake import SupabaseFake, running_fake


@pytest.fixture
def auth_settings(test_settings: Settings) -> Settings:
    """Test settings with a short slowdown so the throttle can be shown without long sleeps."""
    return test_settings.model_copy(
        update={"signin_max_failures": 3, "signin_slowdown_seconds": 0.5, "password_min_length": 10}
    )


@pytest.fixture
def make_local_auth(engine: Engine, auth_settings: Settings) -> Callable[..., LocalAuthProvider]:
    """Factory for providers (a second one stands in for another process sharing the DB)."""

    def _make(settings: Settings | None = None, engine_: Engine | None = None) -> LocalAuthProvider:
        return LocalAuthProvider(engine_ or engine, settings or auth_settings, bcrypt_rounds=4)

    return _make


@pytest.fixture
def local_auth(make_local_auth: Callable[..., LocalAuthProvider]) -> LocalAuthProvider:
    """The local auth adapter on the test database."""
    return make_local_auth()


@pytest.fixture
def supabase_fake() -> Iterator[SupabaseFake]:
    """A fresh loopback fake of Supabase Auth + Storage."""
    with running_fake() as fake:
        yield fake


@pytest.fixture
def fake_settings(supabase_fake: SupabaseFake, tmp_path: Path) -> Settings:
    """Settings that point both Supabase backends at the fake."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="test",
        auth_backend="supabase",
        storage_backend="supabase",
        supabase_url=supabase_fake.url,
        supabase_anon_key=supabase_fake.anon_key,
        jwt_secret=supabase_fake.jwt_secret,
        data_dir=tmp_path,
    )


@pytest.fixture
def supabase_auth(fake_settings: Settings) -> SupabaseAuthProvider:
    """The Supabase adapter talking to the fake over HTTP."""
    return SupabaseAuthProvider(fake_settings, verifier=TokenVerifier.from_settings(fake_settings))


def register(provider: AuthProvider, email: str, password: str, **kwargs: object) -> AuthSession:
    """Sign up, then sign in: sign-up itself returns no session (it must not reveal the address)."""
    provider.sign_up(email, password, **kwargs)  # type: ignore[arg-type]
    return provider.sign_in(email, password)
