"""Local-store specifics: the storage.objects row, atomic writes, integrity, signed links."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from core.auth.local_auth import LocalAuthProvider
from core.auth.models import CurrentUser
from core.config import Settings
from core.errors import InvalidToken, NotFound, UpstreamError, ValidationFailed
from core.storage.local_store import LocalFileStore
from core.storage.signed_urls import derive_signing_key, sign_url


@pytest.fixture
def setup(
    engine: Engine,
    test_settings: Settings,
    tmp_path: Path,
    make_user: Callable[..., Any],
    make_client: Callable[..., Any],
) -> tuple[LocalFileStore, uuid.UUID, CurrentUser]:
    settings = test_settings.model_copy(update={"data_dir": tmp_path})
    owner = make_user()
    client = make_client(owner)
    user = LocalAuthProvider(engine, settings, bcrypt_rounds=4).sign_in(owner.email, owner.password)
    return LocalFileStore(engine, settings), client.id, user.user


def test_metadata_row_is_written_as_the_user(
    setup: tuple[LocalFileStore, uuid.UUID, CurrentUser], engine: Engine
) -> None:
    store, client_id, user = setup
    stored = store.put(client_id, "a.pdf", b"%PDF-1.7 data", "application/pdf", user)
    with engine.connect() as conn:
        row = conn.execute(
            text("select owner, owner_id, metadata from storage.objects where name = :n"),
            {"n": stored.key},
        ).one()
    assert row.owner == user.id
    assert row.owner_id == str(user.id)
    assert row.metadata["sha256"] == hashlib.sha256(b"%PDF-1.7 data").hexdigest()
    assert row.metadata["size"] == len(b"%PDF-1.7 data")
    assert row.metadata["mimetype"] == "application/pdf"


def test_write_is_atomic_and_leaves_no_temp_files(
    setup: tuple[LocalFileStore, uuid.UUID, CurrentUser], tmp_path: Path
) -> None:
    store, client_id, user = setup
    stored = store.put(client_id, "a.pdf", b"bytes", "application/pdf", user)
    files = [p for p in (tmp_path / "storage").rglob("*") if p.is_file()]
    assert files == [tmp_path / "storage" / "invoices" / stored.key]


def test_corrupted_bytes_are_detected(
    setup: tuple[LocalFileStore, uuid.UUID, CurrentUser], tmp_path: Path
) -> None:
    store, client_id, user = setup
    stored = store.put(client_id, "a.pdf", b"original", "application/pdf", user)
    (tmp_path / "storage" / "invoices" / stored.key).write_bytes(b"tampered")
    with pytest.raises(UpstreamError, match="integrity"):
        store.get(stored.key, user)


def test_missing_bytes_are_not_found(
    setup: tuple[LocalFileStore, uuid.UUID, CurrentUser], tmp_path: Path
) -> None:
    store, client_id, user = setup
    stored = store.put(client_id, "a.pdf", b"original", "application/pdf", user)
    (tmp_path / "storage" / "invoices" / stored.key).unlink()
    with pytest.raises(NotFound):
        store.get(stored.key, user)
    assert not store.exists(stored.key, user)


def test_signed_link_serves_bytes_and_type(
    setup: tuple[LocalFileStore, uuid.UUID, CurrentUser], test_settings: Settings
) -> None:
    settings = test_settings
    store, client_id, user = setup
    stored = store.put(client_id, "scan.png", b"\x89PNG....", None, user)
    url = store.signed_url(stored.key, user, 60)
    assert store.verify_signed_url(url) == (stored.key, "image/png")
    assert store.read_signed(url) == (b"\x89PNG....", "image/png")
    with pytest.raises(InvalidToken, match="altered"):
        store.verify_signed_url(url.replace("/invoices/", "/other/"))
    signing_key = derive_signing_key(settings.jwt_secret.get_secret_value())
    other_bucket = sign_url(signing_key, "other", stored.key, "image/png", 60)
    with pytest.raises(ValidationFailed, match="another bucket"):
        store.verify_signed_url(other_bucket)


def test_staged_bytes_wait_for_the_callers_row_and_discard_removes_them(tmp_path) -> None:
    store = LocalFileStore(None, Settings(_env_file=None, data_dir=tmp_path), root=tmp_path)  # type: ignore[arg-type, call-arg]
    client_id = uuid.uuid4()
    user = CurrentUser(
        id=uuid.uuid4(), email=None, role="authenticated", claims={}, access_token="t"
    )
    staged = store.stage(client_id, "Invoice 7.pdf", b"%PDF-1.7 staged", "application/pdf", user)
    path = tmp_path / store.bucket / staged.stored.key
    assert path.read_bytes() == b"%PDF-1.7 staged"
    assert staged.row is not None
    assert staged.row["name"] == staged.stored.key and staged.row["owner"] == str(user.id)
    assert staged.row["metadata"]["sha256"] == staged.stored.sha256
    store.discard(staged.stored.key, user)
    assert not path.exists()
