"""Settings validators: placeholder secrets outside development, Supabase keys when chosen."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from core.config import DEV_JWT_SECRET, Settings

REAL_SECRET = "a-real-project-secret-with-more-than-32-characters"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment: keep the developer's shell out of these tests."""
    import os

    for name in list(os.environ):
        if name.startswith(("INVOICEFLOW_", "SUPABASE_", "OPENAI_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)


def make(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_work_in_development_with_the_dev_secret() -> None:
    settings = make()
    assert settings.environment.value == "development"
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert settings.effective_jwt_issuer == "invoiceflow-local"


@pytest.mark.parametrize("environment", ["test", "staging", "production"])
def test_dev_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="must be a real secret"):
        make(environment=environment)


@pytest.mark.parametrize("secret", ["changeme", "", "   ", "secret", "short-but-not-placeholder"])
def test_placeholder_or_short_secret_is_refused_in_production(secret: str) -> None:
    with pytest.raises(ValidationError, match="must be a real secret"):
        make(environment="production", jwt_secret=secret)


def test_real_secret_is_accepted_in_production() -> None:
    settings = make(environment="production", jwt_secret=REAL_SECRET)
    assert settings.jwt_secret.get_secret_value() == REAL_SECRET


def test_placeholder_openai_key_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="openai_api_key holds a placeholder"):
        make(environment="production", jwt_secret=REAL_SECRET, openai_api_key="sk-...")


def test_environment_variables_are_read_under_their_well_known_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUPABASE_JWT_SECRET", REAL_SECRET)
    monkeypatch.setenv("INVOICEFLOW_ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example.test:5432/postgres")
    settings = make()
    assert settings.jwt_secret.get_secret_value() == REAL_SECRET
    assert settings.database_url == "postgresql://u:p@db.example.test:5432/postgres"
    assert not settings.uses_embedded_db


@pytest.mark.parametrize("backend", ["auth_backend", "storage_backend"])
def test_supabase_backend_demands_url_and_anon_key(backend: str) -> None:
    with pytest.raises(ValidationError, match="SUPABASE_URL and SUPABASE_ANON_KEY"):
        make(**{backend: "supabase"}, jwt_secret=REAL_SECRET)


@pytest.mark.parametrize("anon_key", ["", "  ", "changeme", "xxx"])
def test_supabase_backend_treats_blank_or_placeholder_anon_key_as_missing(anon_key: str) -> None:
    with pytest.raises(ValidationError, match="supabase_anon_key"):
        make(
            auth_backend="supabase",
            supabase_url="https://abc.supabase.co",
            supabase_anon_key=anon_key,
            jwt_secret=REAL_SECRET,
        )


def test_supabase_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="http"):
        make(
            storage_backend="supabase",
            supabase_url="abc.supabase.co",
            supabase_anon_key="anon-key-value",
            jwt_secret=REAL_SECRET,
        )


def test_supabase_auth_needs_a_way_to_verify_tokens() -> None:
    with pytest.raises(ValidationError, match="SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL"):
        make(
            auth_backend="supabase",
            supabase_url="https://abc.supabase.co",
            supabase_anon_key="anon-key-value",
        )


def test_supabase_auth_with_jwks_needs_no_hs256_secret_even_in_production() -> None:
    settings = make(
        environment="production",
        auth_backend="supabase",
        storage_backend="supabase",
        supabase_url="https://abc.supabase.co/",
        supabase_anon_key="anon-key-value",
        jwks_url="https://abc.supabase.co/auth/v1/.well-known/jwks.json",
    )
    assert settings.effective_jwt_issuer == "https://abc.supabase.co/auth/v1"


def test_supabase_auth_in_production_refuses_placeholder_secret_without_jwks() -> None:
    with pytest.raises(ValidationError, match="must be a real secret"):
        make(
            environment="production",
            auth_backend="supabase",
            supabase_url="https://abc.supabase.co",
            supabase_anon_key="anon-key-value",
            jwt_secret="changeme",
        )


def test_openai_extraction_backend_demands_a_key() -> None:
    with pytest.raises(ValidationError, match="needs OPENAI_API_KEY"):
        make(extraction_backend="openai")


def test_secrets_are_not_shown_in_repr() -> None:
    settings = make(environment="production", jwt_secret=REAL_SECRET, openai_api_key="sk-real")
    assert REAL_SECRET not in repr(settings)
    assert "sk-real" not in repr(settings)


# --- F14: the default environment, the dev secret and placeholder database passwords ---------

REMOTE_DB = "postgresql://app:a-real-database-password-123@db.example.test:5432/postgres"


@pytest.mark.security
def test_remote_database_without_environment_refuses_the_dev_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", REMOTE_DB)
    with pytest.raises(ValidationError, match="real secret"):
        make()  # the built-in secret, unset environment
    with pytest.raises(ValidationError, match="real secret"):
        make(jwt_secret=DEV_JWT_SECRET)
    assert make(jwt_secret=REAL_SECRET).environment.value == "production"


@pytest.mark.security
@pytest.mark.parametrize(
    "backends",
    [
        {
            "auth_backend": "supabase",
            "storage_backend": "supabase",
            "jwks_url": "https://abc.supabase.co/jwks.json",
        },
        {"storage_backend": "supabase", "jwt_secret": REAL_SECRET},
    ],
)
def test_supabase_backends_without_environment_run_as_production(backends: dict[str, str]) -> None:
    settings = make(
        supabase_url="https://abc.supabase.co", supabase_anon_key="anon-key-value", **backends
    )
    assert settings.environment.value == "production"


def test_only_the_embedded_default_runs_as_development() -> None:
    assert make().environment.value == "development"
    assert make(environment="development").is_embedded_default
    assert make(environment="production", jwt_secret=REAL_SECRET).environment.value == "production"


def _env_example_database_passwords() -> list[str]:
    """The database passwords .env.example ships (set or commented out)."""
    from pathlib import Path
    from urllib.parse import urlsplit

    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    found = []
    for line in text.splitlines():
        name, _, value = line.lstrip("# ").partition("=")
        if name == "DATABASE_URL":
            found.append(urlsplit(value).password or "")
        elif name == "POSTGRES_PASSWORD":
            found.append(value)
    assert found, ".env.example names no database password any more"
    return found


@pytest.mark.security
@pytest.mark.parametrize(
    "password",
    [
        *_env_example_database_passwords(),
        "postgres",
        "password",
        "changeme",
        "Postgres",
        "[YOUR-PASSWORD]",
        "your-super-secret-and-long-postgres-password",
        "",
    ],
)
@pytest.mark.parametrize("environment", ["test", "staging", "production"])
def test_placeholder_database_password_is_refused_outside_development(
    password: str, environment: str
) -> None:
    from urllib.parse import quote

    url = f"postgresql://postgres.ref:{quote(password)}@aws-0-eu.pooler.supabase.com:5432/postgres"
    with pytest.raises(ValidationError, match="database password"):
        make(environment=environment, database_url=url, jwt_secret=REAL_SECRET)


@pytest.mark.security
def test_placeholder_database_password_in_the_query_string_is_refused() -> None:
    url = "postgresql://db.example.test/postgres?user=postgres&password=changeme"
    with pytest.raises(ValidationError, match="database password"):
        make(environment="production", database_url=url, jwt_secret=REAL_SECRET)


def test_real_or_absent_database_password_is_accepted() -> None:
    for url in (REMOTE_DB, "postgresql://app@db.example.test/postgres"):
        assert make(environment="production", database_url=url, jwt_secret=REAL_SECRET)


def test_placeholder_database_password_is_tolerated_in_development() -> None:
    url = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
    settings = make(environment="development", database_url=url, jwt_secret=REAL_SECRET)
    assert settings.database_url == url
