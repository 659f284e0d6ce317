"""The composition root picks adapters from settings and builds nothing at import time."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from core.auth.local_auth import LocalAuthProvider
from core.auth.supabase_auth import SupabaseAuthProvider
from core.bootstrap import Services, build_services
from core.config import Settings
from core.storage.local_store import LocalFileStore
from core.storage.supabase_store import SupabaseFileStore

# Engines connect lazily: nothing listens here and nothing needs to.
UNREACHABLE_DB = "postgresql://nobody:nothing@127.0.0.1:9/none"


def settings(**values: object) -> Settings:
    values = {"environment": "test", "jwt_secret": "a-real-test-secret-" + "x" * 32, **values}
    return Settings(_env_file=None, database_url=UNREACHABLE_DB, **values)  # type: ignore[arg-type]


def test_defaults_build_the_local_adapters() -> None:
    services = build_services(settings())
    try:
        assert isinstance(services.auth, LocalAuthProvider)
        assert isinstance(services.storage, LocalFileStore)
        assert services.files is services.storage
        assert services.verifier.issuer == "invoiceflow-local"
    finally:
        services.close()


def test_supabase_settings_build_the_supabase_adapters() -> None:
    services = build_services(
        settings(
            auth_backend="supabase",
            storage_backend="supabase",
            supabase_url="https://abc.supabase.co",
            supabase_anon_key="anon-key-value",
            jwt_secret="project-secret-with-more-than-32-characters",
        )
    )
    try:
        assert isinstance(services.auth, SupabaseAuthProvider)
        assert isinstance(services.storage, SupabaseFileStore)
        assert services.verifier.issuer == "https://abc.supabase.co/auth/v1"
    finally:
        services.close()


def test_backends_can_be_mixed() -> None:
    services = build_services(
        settings(
            storage_backend="supabase",
            supabase_url="https://abc.supabase.co",
            supabase_anon_key="anon-key-value",
        )
    )
    try:
        assert isinstance(services.auth, LocalAuthProvider)
        assert isinstance(services.storage, SupabaseFileStore)
    finally:
        services.close()


def test_services_are_frozen_and_extensible_by_keyword() -> None:
    services = build_services(settings())
    try:
        with pytest.raises(dataclasses.FrozenInstanceError):
            services.auth = None  # type: ignore[misc]
        extended = dataclasses.replace(services, jobs="queue")
        assert extended.jobs == "queue" and extended.storage is services.storage
        assert all(f.kw_only for f in dataclasses.fields(Services))
    finally:
        services.close()


def test_importing_the_composition_root_builds_nothing() -> None:
    code = (
        "import gc, sys\n"
        "import core.bootstrap\n"
        "from sqlalchemy.engine import Engine\n"
        "engines = [o for o in gc.get_objects() if isinstance(o, Engine)]\n"
        "vendor = [m for m in ('supabase_auth', 'storage3') if m in sys.modules]\n"
        "print(len(engines), vendor)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "0 []"
