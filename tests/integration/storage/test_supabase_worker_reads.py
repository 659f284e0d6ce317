"""Workers read files without the legacy JWT secret, under each of Supabase's three key setups.

The worker authorizes in Postgres as the uploader (the storage policies on ``storage.objects``
decide, under RLS, in our real test database) and then fetches that one object with the
server-side key. The fake plays Supabase for each key setup: ``legacy`` (anon/service_role JWT
keys, HS256 tokens), ``new`` (``sb_publishable_``/``sb_secret_``, ES256 tokens, legacy secret
still valid) and ``revoked`` (legacy secret revoked: only the JWKS verifies, HS256 is refused).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from sqlalchemy import Engine

from core.auth.models import CurrentUser
from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.db.session import user_session
from core.db.storage_objects import insert_object
from core.errors import ConfigurationError, InvalidToken, NotFound
from core.storage.supabase_store import SupabaseFileStore
from core.workflow.transitions import worker_user
from tests.fakes.supabase_fake import KeySetup, SupabaseFake, running_fake

PDF = b"%PDF-1.7\n% worker read\n%%EOF\n"
PASSWORD = "long enough password"


@dataclass
class World:
    fake: SupabaseFake
    settings: Settings
    store: SupabaseFileStore
    owner: CurrentUser
    client_id: uuid.UUID
    outsider_id: uuid.UUID


def settings_for(fake: SupabaseFake, database_url: str, **extra: Any) -> Settings:
    """What an operator configures for the fake's key setup (docs/deploy-ec2.md, 2.1)."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="test",
        database_url=database_url,
        auth_backend="supabase",
        storage_backend="supabase",
        supabase_url=fake.url,
        supabase_anon_key=fake.anon_key,
        supabase_service_key=fake.service_key,
        # The legacy secret only while the project still has one; the JWKS once it has keys.
        jwt_secret=fake.jwt_secret if fake.key_setup != "revoked" else "",
        jwks_url=fake.jwks_url if fake.key_setup != "legacy" else None,
        **extra,
    )


def _stored_by_storage(engine: Engine, user: CurrentUser, key: str) -> None:
    """What Storage does on upload in the project's database: the storage.objects row, as the
    user under RLS (the fake keeps the bytes; our test database stands in for the project's)."""
    with user_session(engine, user.claims) as session:
        insert_object(session, bucket="invoices", name=key, owner=user.id, metadata={})


@pytest.fixture(params=["legacy", "new", "revoked"])
def world(
    request: pytest.FixtureRequest,
    engine: Engine,
    test_settings: Settings,
    make_user: Callable[..., Any],
    make_client: Callable[..., Any],
) -> Iterator[World]:
    setup: KeySetup = request.param
    owner_row, outsider_row = make_user(), make_user()
    client = make_client(owner_row)
    make_client(outsider_row)
    with running_fake(key_setup=setup) as fake:
        fake.add_user(owner_row.email, PASSWORD, owner_row.id)
        fake.add_member(client.id, owner_row.id, "owner")
        settings = settings_for(fake, str(test_settings.database_url))
        auth = SupabaseAuthProvider(settings, verifier=TokenVerifier.from_settings(settings))
        owner = auth.sign_in(owner_row.email, PASSWORD).user
        store = SupabaseFileStore(settings, engine=engine)
        yield World(fake, settings, store, owner, client.id, outsider_row.id)


def test_tokens_are_signed_as_the_key_setup_says(world: World) -> None:
    header = jwt.get_unverified_header(world.owner.access_token)
    assert header["alg"] == world.fake.signs_with
    assert (world.fake.key_setup == "legacy") == world.fake.anon_key.startswith("eyJ")


def test_worker_reads_the_uploaders_file_with_the_server_side_key(
    world: World, engine: Engine
) -> None:
    stored = world.store.put(world.client_id, "a.pdf", PDF, "application/pdf", world.owner)
    _stored_by_storage(engine, world.owner, stored.key)
    worker = worker_user(world.owner.id)
    world.fake.request_headers.clear()
    assert world.store.get(stored.key, worker) == PDF
    assert world.store.exists(stored.key, worker)
    sent = world.fake.request_headers[-1]
    assert sent["apikey"] == world.fake.service_key
    # No token was minted: a sb_secret_ key is never a bearer; the legacy one is its own JWT.
    assert sent.get("authorization") in (None, f"Bearer {world.fake.service_key}")
    if world.fake.key_setup == "revoked":
        assert not world.settings.jwt_verification_secret  # no legacy secret at all


def test_worker_reads_nothing_the_uploader_may_not_read(world: World, engine: Engine) -> None:
    stored = world.store.put(world.client_id, "a.pdf", PDF, "application/pdf", world.owner)
    _stored_by_storage(engine, world.owner, stored.key)
    world.fake.requests.clear()
    outsider = worker_user(world.outsider_id)
    with pytest.raises(NotFound):
        world.store.get(stored.key, outsider)
    assert not world.store.exists(stored.key, outsider)
    unrecorded = f"{world.client_id}/2026/01/01/{uuid.uuid4().hex}-x.pdf"
    world.fake.objects[("invoices", unrecorded)] = {"data": b"x", "content_type": "x/y", "id": "1"}
    with pytest.raises(NotFound):  # bytes in Storage but no storage.objects row visible
        world.store.get(unrecorded, worker_user(world.owner.id))
    assert world.fake.requests == []  # refused in Postgres: Storage was never asked


def test_worker_writes_are_refused(world: World) -> None:
    worker = worker_user(world.owner.id)
    with pytest.raises(InvalidToken):
        world.store.put(world.client_id, "a.pdf", PDF, "application/pdf", worker)


def test_legacy_secret_tokens_stop_working_once_revoked(world: World) -> None:
    # What the old worker did: mint a short HS256 token for the uploader with the legacy secret.
    now = int(time.time())
    minted = jwt.encode(
        {"sub": str(world.owner.id), "role": "authenticated", "aud": "authenticated",
         "iss": world.fake.issuer, "iat": now, "exp": now + 60},
        world.fake.jwt_secret,
        algorithm="HS256",
    )  # fmt: skip
    accepted = world.fake.verify_user_jwt(minted)
    assert isinstance(accepted, dict) == (world.fake.key_setup != "revoked")


def test_worker_without_a_server_side_key_is_a_configuration_error(
    world: World, engine: Engine
) -> None:
    stored = world.store.put(world.client_id, "a.pdf", PDF, "application/pdf", world.owner)
    _stored_by_storage(engine, world.owner, stored.key)
    keyless = SupabaseFileStore(
        world.settings.model_copy(update={"supabase_service_key": None}), engine=engine
    )
    with pytest.raises(ConfigurationError, match="SUPABASE_SECRET_KEY"):
        keyless.get(stored.key, worker_user(world.owner.id))
