"""Fixtures for the local auth adapter against the real test database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from core.auth.local_auth import LocalAuthProvider
from core.config import Settings


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
