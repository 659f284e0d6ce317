"""One storage contract, three backends: local (real DB), Supabase adapter against the loopback
fake, and Supabase adapter against a real project (``live``, only when credentials are set).

Live variant environment: ``SUPABASE_TEST_URL``, ``SUPABASE_TEST_ANON_KEY``,
``SUPABASE_TEST_EMAIL``, ``SUPABASE_TEST_PASSWORD`` (owner or operator of
``SUPABASE_TEST_CLIENT_ID``) and
``SUPABASE_TEST_JWT_SECRET`` or ``SUPABASE_TEST_JWKS_URL``; optionally
``SUPABASE_TEST_VIEWER_EMAIL``/``_PASSWORD`` and ``SUPABASE_TEST_OUTSIDER_EMAIL``/``_PASSWORD``
for the role cases (skipped without them).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from core.auth.local_auth import LocalAuthProvider
from core.auth.models import CurrentUser
from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.errors import AuthError, NotFound
from core.storage.local_store import LocalFileStore
from core.storage.port import FileStore
from core.storage.supabase_store import SupabaseFileStore
from tests.fakes.supabase_fake import SupabaseFake, running_fake
from tests.integration.supabase_live import MAX_BYTES, live_settings_or_skip

PASSWORD = "long enough password"


@dataclass
class StoreWorld:
    """A file store and the people who use it: a writer, a viewer and an outsider."""

    backend: str
    store: FileStore
    client_id: uuid.UUID
    operator: CurrentUser
    viewer: CurrentUser | None
    outsider: CurrentUser | None
    fetch: Callable[[str], tuple[bytes, str]]
    root: Path | None = None  # local backend only: where the bytes live


def _fetch_http(url: str) -> tuple[bytes, str]:
    response = httpx.get(url, timeout=30)
    if response.status_code == 200:
        return response.content, response.headers.get("content-type", "")
    if response.status_code in (400, 401, 403):
        raise AuthError(f"signed URL refused: {response.text}")
    raise NotFound(f"signed URL gave {response.status_code}")


def _local_world(engine: Engine, settings: Settings, make_user, make_client) -> StoreWorld:  # type: ignore[no-untyped-def]
    auth = LocalAuthProvider(engine, settings, bcrypt_rounds=4)

    def signed_in(user) -> CurrentUser:  # type: ignore[no-untyped-def]
        return auth.sign_in(user.email, user.password).user

    operator, viewer, outsider = make_user(), make_user(), make_user()
    client = make_client(operator, {"viewer": viewer})
    make_client(outsider)  # the outsider owns another client
    store = LocalFileStore(engine, settings)

    def fetch(url: str) -> tuple[bytes, str]:
        return store.read_signed(url)

    return StoreWorld("local", store, client.id, signed_in(operator), signed_in(viewer),
                      signed_in(outsider), fetch, settings.data_dir / "storage")  # fmt: skip


def _live_user(auth: SupabaseAuthProvider, prefix: str) -> CurrentUser | None:
    email = os.environ.get(f"{prefix}_EMAIL")
    password = os.environ.get(f"{prefix}_PASSWORD")
    return auth.sign_in(email, password).user if email and password else None


@pytest.fixture(scope="module")
def shared_supabase_fake() -> Iterator[SupabaseFake]:
    """One loopback Supabase fake per module (starting a server per test costs ~0.5 s)."""
    with running_fake() as fake:
        yield fake


@pytest.fixture(
    params=["local", "supabase-fake", pytest.param("supabase-live", marks=pytest.mark.live)]
)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreWorld]:
    """The contract's world for each backend."""
    if request.param == "local":
        settings = request.getfixturevalue("test_settings").model_copy(
            update={"data_dir": tmp_path, "max_upload_bytes": MAX_BYTES}
        )
        yield _local_world(
            request.getfixturevalue("engine"),
            settings,
            request.getfixturevalue("make_user"),
            request.getfixturevalue("make_client"),
        )
    elif request.param == "supabase-fake":
        fake = request.getfixturevalue("shared_supabase_fake")
        # One server per module; each test gets fresh users and clients.
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, environment="test", auth_backend="supabase",
            storage_backend="supabase", supabase_url=fake.url,
            supabase_anon_key=fake.anon_key, jwt_secret=fake.jwt_secret,
            data_dir=tmp_path, max_upload_bytes=MAX_BYTES,
        )  # fmt: skip
        auth = SupabaseAuthProvider(settings, verifier=TokenVerifier.from_settings(settings))
        client_id, other_client = uuid.uuid4(), uuid.uuid4()
        addresses = [f"{r}-{uuid.uuid4().hex[:8]}@example.test"
                     for r in ("operator", "viewer", "outsider")]  # fmt: skip
        for address in addresses:
            auth.sign_up(address, PASSWORD)  # no session: sign-up never reveals an address
        people = [auth.sign_in(address, PASSWORD).user for address in addresses]
        fake.add_member(client_id, people[0].id, "operator")
        fake.add_member(client_id, people[1].id, "viewer")
        fake.add_member(other_client, people[2].id, "owner")
        yield StoreWorld("supabase-fake", SupabaseFileStore(settings), client_id, *people,
                         fetch=_fetch_http)  # fmt: skip
    else:
        settings = live_settings_or_skip()
        auth = SupabaseAuthProvider(settings, verifier=TokenVerifier.from_settings(settings))
        operator = _live_user(auth, "SUPABASE_TEST")
        assert operator is not None
        yield StoreWorld(
            "supabase-live",
            SupabaseFileStore(settings),
            uuid.UUID(os.environ["SUPABASE_TEST_CLIENT_ID"]),
            operator,
            _live_user(auth, "SUPABASE_TEST_VIEWER"),
            _live_user(auth, "SUPABASE_TEST_OUTSIDER"),
            _fetch_http,
        )
