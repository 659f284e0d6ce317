"""Supabase-store specifics against the fake: the user's JWT on every request, errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from core.auth.models import CurrentUser
from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.errors import InvalidToken, NotFound, TokenExpired, UpstreamError
from core.storage.supabase_store import SupabaseFileStore
from tests.fakes.supabase_fake import SupabaseFake, running_fake


@pytest.fixture
def fake() -> Iterator[SupabaseFake]:
    with running_fake() as server:
        yield server


@pytest.fixture
def settings(fake: SupabaseFake, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", auth_backend="supabase", storage_backend="supabase",
        supabase_url=fake.url, supabase_anon_key=fake.anon_key, jwt_secret=fake.jwt_secret,
        supabase_service_key="service-key-that-must-never-be-sent", data_dir=tmp_path,
    )  # fmt: skip


@pytest.fixture
def operator(fake: SupabaseFake, settings: Settings) -> tuple[CurrentUser, uuid.UUID]:
    auth = SupabaseAuthProvider(settings, verifier=TokenVerifier.from_settings(settings))
    address = f"op-{uuid.uuid4().hex[:8]}@example.test"
    auth.sign_up(address, "long enough password")  # no session: sign in next
    user = auth.sign_in(address, "long enough password").user
    client_id = uuid.uuid4()
    fake.add_member(client_id, user.id, "operator")
    return user, client_id


def test_every_storage_request_carries_the_users_jwt_and_the_anon_key(
    fake: SupabaseFake, settings: Settings, operator: tuple[CurrentUser, uuid.UUID]
) -> None:
    user, client_id = operator
    store = SupabaseFileStore(settings)
    fake.requests.clear()
    stored = store.put(client_id, "a.pdf", b"%PDF", "application/pdf", user)
    store.get(stored.key, user)
    store.signed_url(stored.key, user, 60)
    store.delete(stored.key, user)
    storage_calls = [r for r in fake.requests if r[1].startswith("/storage/")]
    assert len(storage_calls) >= 4
    assert {auth for _, _, auth in storage_calls} == {f"Bearer {user.access_token}"}
    assert all("service-key" not in str(r) for r in fake.requests)


def test_content_type_reaches_storage(
    fake: SupabaseFake, settings: Settings, operator: tuple[CurrentUser, uuid.UUID]
) -> None:
    user, client_id = operator
    stored = SupabaseFileStore(settings).put(client_id, "invoice.xml", b"<x/>", None, user)
    assert fake.objects[("invoices", stored.key)]["content_type"] == "application/xml"


def test_expired_and_foreign_tokens_are_translated(
    fake: SupabaseFake, settings: Settings, operator: tuple[CurrentUser, uuid.UUID]
) -> None:
    user, client_id = operator
    store = SupabaseFileStore(settings)
    stored = store.put(client_id, "a.pdf", b"%PDF", "application/pdf", user)
    now = int(time.time())
    expired_claims = {**user.claims, "iat": now - 7200, "exp": now - 3600}
    expired = jwt.encode(expired_claims, fake.jwt_secret, algorithm="HS256")
    expired_user = CurrentUser(user.id, user.email, user.role, expired_claims, expired)
    fake.requests.clear()
    # Storage would treat it as anonymous on download (404 on a private bucket): the store
    # tells expiry before sending, so the caller refreshes instead of seeing "not found".
    for call in (
        lambda: store.get(stored.key, expired_user),
        lambda: store.put(client_id, "b.pdf", b"%PDF", "application/pdf", expired_user),
        lambda: store.signed_url(stored.key, expired_user, 60),
    ):
        with pytest.raises(TokenExpired):
            call()
    assert fake.requests == []
    forged = jwt.encode(user.claims, "another-secret-0123456789-abcdefghijk", algorithm="HS256")
    forged_user = CurrentUser(user.id, user.email, user.role, user.claims, forged)
    # storage-api: upload and sign answer HTTP 400 {"statusCode": "403", "error":
    # "Unauthorized", "message": "invalid signature"}; download treats the caller as anon.
    with pytest.raises(InvalidToken):
        store.put(client_id, "b.pdf", b"%PDF", "application/pdf", forged_user)
    with pytest.raises(InvalidToken):
        store.signed_url(stored.key, forged_user, 60)
    with pytest.raises(NotFound):
        store.get(stored.key, forged_user)


def test_unreachable_storage_is_an_upstream_error(
    settings: Settings, operator: tuple[CurrentUser, uuid.UUID]
) -> None:
    user, client_id = operator
    down = SupabaseFileStore(settings.model_copy(update={"supabase_url": "http://127.0.0.1:9"}))
    with pytest.raises(UpstreamError):
        down.put(client_id, "a.pdf", b"%PDF", "application/pdf", user)


def test_staged_upload_is_in_storage_and_discard_removes_it(
    fake: SupabaseFake, settings: Settings, operator: tuple[CurrentUser, uuid.UUID]
) -> None:
    user, client_id = operator
    store = SupabaseFileStore(settings)
    staged = store.stage(client_id, "a.pdf", b"%PDF", "application/pdf", user)
    assert staged.row is None  # Storage records the object itself; nothing for our transaction
    assert ("invoices", staged.stored.key) in fake.objects
    store.discard(staged.stored.key, user)
    assert ("invoices", staged.stored.key) not in fake.objects


@pytest.mark.security
def test_signed_urls_are_downloads_so_storage_answers_attachment(
    fake: SupabaseFake, settings: Settings, operator: tuple[CurrentUser, uuid.UUID]
) -> None:
    import httpx

    user, client_id = operator
    store = SupabaseFileStore(settings)
    stored = store.put(client_id, "in voice.xml", b"<Invoice/>", "application/xml", user)
    url = store.signed_url(stored.key, user, 60)
    assert "download=in_voice.xml" in url
    answer = httpx.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment")
