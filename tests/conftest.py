"""Real-database fixtures for the whole suite (owned by the foundation DB slice).

One fresh database per pytest session (per xdist worker): a random name on the embedded server
(or on the server of ``TEST_DATABASE_URL`` when set), with the local Supabase bootstrap and every
migration applied, dropped at the end. Nothing here mocks the database.

Fixtures:
  pg_server_url   session  libpq URL of the server's ``postgres`` database (admin work)
  database_url    session  SQLAlchemy URL of the fresh test database
  test_settings   session  Settings pointing at it (environment=test, a real-length JWT secret)
  engine          session  SQLAlchemy engine on it
  make_user       function factory: make_user(email=None, password=None) -> TestUser
  make_client     function factory: make_client(owner, members={"viewer": user}) -> TestClient
  role_users      function one owner/operator/analyst/viewer each, in a fresh client
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, text

from core.config import Settings
from core.db.engine import make_engine, sqlalchemy_url
from core.db.migrate import apply_migrations, psycopg_url
from core.db.session import service_session

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_JWT_SECRET = "test-only-jwt-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
TEST_PASSWORD = "correct horse battery staple"
ROLES = ("owner", "operator", "analyst", "viewer")


@dataclass(frozen=True)
class TestUser:
    """A row in auth.users plus the claims a verified access token for it would carry."""

    __test__ = False  # not a pytest test class

    id: uuid.UUID
    email: str
    password: str

    @property
    def claims(self) -> dict[str, Any]:
        return {
            "sub": str(self.id),
            "role": "authenticated",
            "aud": "authenticated",
            "email": self.email,
            "session_id": str(uuid.uuid5(self.id, "session")),
        }


@dataclass(frozen=True)
class TestClient:
    """A client (tenant) and its members by role."""

    __test__ = False

    id: uuid.UUID
    name: str
    members: Mapping[str, TestUser] = field(default_factory=dict)


def _embedded_settings() -> Settings:
    data_dir = Path(os.environ.get("INVOICEFLOW_DATA_DIR", REPO_ROOT / ".data"))
    return Settings(data_dir=data_dir if data_dir.is_absolute() else REPO_ROOT / data_dir)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """Admin URL of the server that hosts the test database.

    An embedded server this session had to start is stopped again at its end, so ``make test``
    leaves no process behind; one that was already running (``make run``) is left running. Under
    xdist the workers share the server and none stops it (it may still serve another worker).
    """
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        yield psycopg_url(explicit)
        return
    from core.db import embedded

    settings = _embedded_settings()
    started_here = not embedded.is_running(settings)
    embedded.ensure_running(settings)
    try:
        yield embedded.server_url(settings, "postgres")
    finally:
        if started_here and "PYTEST_XDIST_WORKER" not in os.environ:
            embedded.stop(settings)


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(sqlalchemy_url(url)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh database with bootstrap + migrations applied; dropped after the session."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"invoiceflow_test_{worker}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = _with_database(pg_server_url, name)
    try:
        apply_migrations(url)
        yield url
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def test_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the test database: environment=test, local backends, a temp data dir."""
    return Settings(
        environment="test",
        database_url=database_url,
        jwt_secret=TEST_JWT_SECRET,
        data_dir=tmp_path_factory.mktemp("data"),
        auth_backend="local",
        storage_backend="local",
        extraction_backend="offline",
    )


@pytest.fixture(scope="session")
def engine(test_settings: Settings) -> Iterator[Engine]:
    """Engine on the test database."""
    eng = make_engine(test_settings)
    yield eng
    eng.dispose()


def create_user(
    engine: Engine, email: str | None = None, password: str = TEST_PASSWORD
) -> TestUser:
    """Insert a confirmed user into auth.users (bcrypt hash, as the local auth adapter does)."""
    user_id = uuid.uuid4()
    email = (email or f"user-{user_id.hex[:12]}@example.test").lower()
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    with service_session(engine, "tests.create_user") as s:
        s.execute(
            text(
                "insert into auth.users (id, aud, role, email, encrypted_password,"
                " email_confirmed_at, raw_app_meta_data, raw_user_meta_data)"
                " values (:id, 'authenticated', 'authenticated', :email, :pw, now(),"
                ' \'{"provider": "email", "providers": ["email"]}\', \'{}\')'
            ),
            {"id": user_id, "email": email, "pw": hashed},
        )
    return TestUser(user_id, email, password)


def create_client(
    engine: Engine,
    owner: TestUser,
    members: Mapping[str, TestUser] | None = None,
    name: str | None = None,
) -> TestClient:
    """A client whose creator ``owner`` becomes owner (by trigger), plus ``members`` by role."""
    client_id = uuid.uuid4()
    name = name or f"Client {client_id.hex[:8]}"
    with service_session(engine, "tests.create_client") as s:
        s.execute(
            text("insert into public.clients (id, name, created_by) values (:id, :name, :owner)"),
            {"id": client_id, "name": name, "owner": owner.id},
        )
        for role, user in (members or {}).items():
            s.execute(
                text(
                    "insert into public.client_members (client_id, user_id, role)"
                    " values (:c, :u, cast(:r as public.member_role))"
                    " on conflict (client_id, user_id) do update set role = excluded.role"
                ),
                {"c": client_id, "u": user.id, "r": role},
            )
    return TestClient(client_id, name, {"owner": owner, **dict(members or {})})


@pytest.fixture
def make_user(engine: Engine) -> Callable[..., TestUser]:
    """Factory: ``make_user(email=None, password=...)`` -> TestUser (unique email by default)."""

    def _make(email: str | None = None, password: str = TEST_PASSWORD) -> TestUser:
        return create_user(engine, email, password)

    return _make


@pytest.fixture
def make_client(engine: Engine) -> Callable[..., TestClient]:
    """Factory: ``make_client(owner, members={"viewer": user}, name=None)`` -> TestClient."""

    def _make(
        owner: TestUser, members: Mapping[str, TestUser] | None = None, name: str | None = None
    ) -> TestClient:
        return create_client(engine, owner, members, name)

    return _make


@pytest.fixture
def role_users(engine: Engine) -> TestClient:
    """A fresh client with one user per role (owner, operator, analyst, viewer)."""
    users = {role: create_user(engine) for role in ROLES}
    return create_client(engine, users["owner"], {r: u for r, u in users.items() if r != "owner"})
