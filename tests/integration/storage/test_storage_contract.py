"""The FileStore contract, run against every backend (see conftest: local, fake, live)."""

from __future__ import annotations

import hashlib
import re
import time
import uuid

import pytest

from core.errors import (
    EmptyDocument,
    Forbidden,
    InvoiceFlowError,
    NotFound,
    TooLarge,
    ValidationFailed,
)
from core.storage.keys import client_of, validate_key
from core.storage.port import FileStore
from tests.integration.storage.conftest import MAX_BYTES, StoreWorld

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
HOSTILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "a\x00b.pdf",
    "x" * 10_000 + ".pdf",
    "ｉｎｖｏｉｃｅ.pdf",
    "\u202efdp.exe",
    "..",
    "",
    "/",
    "%2e%2e%2f",
    "Счёт № 5.pdf",
]


def needs(world: StoreWorld, *who: str) -> None:
    for name in who:
        if getattr(world, name) is None:
            pytest.skip(f"no {name} configured for {world.backend}")


def test_store_satisfies_the_port(world: StoreWorld) -> None:
    assert isinstance(world.store, FileStore)
    assert world.store.bucket == "invoices"


def test_put_records_key_size_hash_and_type_and_get_returns_the_bytes(world: StoreWorld) -> None:
    stored = world.store.put(world.client_id, "Invoice 42.pdf", PDF, "application/pdf",
                             world.operator)  # fmt: skip
    assert validate_key(stored.key) == stored.key
    assert client_of(stored.key) == world.client_id
    assert re.search(r"/\d{4}/\d{2}/\d{2}/[0-9a-f]{32}-Invoice_42\.pdf$", stored.key)
    assert stored.size == len(PDF)
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.content_type == "application/pdf"
    assert world.store.get(stored.key, world.operator) == PDF
    assert world.store.exists(stored.key, world.operator)
    world.store.delete(stored.key, world.operator)


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [("scan.png", None, "image/png"), ("blob", "", "application/octet-stream")],
)
def test_content_type_is_always_set(
    world: StoreWorld, name: str, given: str | None, expected: str
) -> None:
    stored = world.store.put(world.client_id, name, b"data", given, world.operator)
    assert stored.content_type == expected
    data, served_type = world.fetch(world.store.signed_url(stored.key, world.operator, 60))
    assert data == b"data"
    assert served_type.split(";")[0] == expected
    world.store.delete(stored.key, world.operator)


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n)[:24])
def test_hostile_filenames_become_safe_keys(world: StoreWorld, name: str) -> None:
    stored = world.store.put(world.client_id, name, b"hostile", "text/plain", world.operator)
    last = stored.key.rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{32}-[A-Za-z0-9][A-Za-z0-9._-]{0,99}", last)
    assert ".." not in last
    assert world.store.get(stored.key, world.operator) == b"hostile"
    if world.root is not None:
        on_disk = world.root / "invoices" / stored.key
        assert on_disk.read_bytes() == b"hostile"
        assert on_disk.resolve().is_relative_to(world.root.resolve())
    world.store.delete(stored.key, world.operator)


def test_same_name_twice_keeps_both_files(world: StoreWorld) -> None:
    a = world.store.put(world.client_id, "a.pdf", b"first", "application/pdf", world.operator)
    b = world.store.put(world.client_id, "a.pdf", b"second", "application/pdf", world.operator)
    assert a.key != b.key
    assert world.store.get(a.key, world.operator) == b"first"
    assert world.store.get(b.key, world.operator) == b"second"
    for key in (a.key, b.key):
        world.store.delete(key, world.operator)


def test_delete_removes_the_file(world: StoreWorld) -> None:
    stored = world.store.put(world.client_id, "gone.pdf", PDF, "application/pdf", world.operator)
    world.store.delete(stored.key, world.operator)
    assert not world.store.exists(stored.key, world.operator)
    with pytest.raises(NotFound):
        world.store.get(stored.key, world.operator)
    with pytest.raises(NotFound):
        world.store.delete(stored.key, world.operator)
    with pytest.raises(NotFound):
        world.store.signed_url(stored.key, world.operator, 60)


def test_viewer_reads_but_cannot_write_or_delete(world: StoreWorld) -> None:
    needs(world, "viewer")
    assert world.viewer is not None
    stored = world.store.put(world.client_id, "shared.pdf", PDF, "application/pdf", world.operator)
    assert world.store.get(stored.key, world.viewer) == PDF
    assert world.store.exists(stored.key, world.viewer)
    assert world.fetch(world.store.signed_url(stored.key, world.viewer, 60))[0] == PDF
    with pytest.raises(Forbidden):
        world.store.put(world.client_id, "nope.pdf", PDF, "application/pdf", world.viewer)
    with pytest.raises(Forbidden):
        world.store.delete(stored.key, world.viewer)
    assert world.store.get(stored.key, world.operator) == PDF  # still there
    world.store.delete(stored.key, world.operator)


def test_non_member_sees_and_writes_nothing(world: StoreWorld) -> None:
    needs(world, "outsider")
    assert world.outsider is not None
    stored = world.store.put(world.client_id, "private.pdf", PDF, "application/pdf",
                             world.operator)  # fmt: skip
    with pytest.raises(Forbidden):
        world.store.put(world.client_id, "intrusion.pdf", PDF, "application/pdf", world.outsider)
    with pytest.raises(NotFound):
        world.store.get(stored.key, world.outsider)
    assert not world.store.exists(stored.key, world.outsider)
    with pytest.raises(NotFound):
        world.store.signed_url(stored.key, world.outsider, 60)
    with pytest.raises(NotFound):
        world.store.delete(stored.key, world.outsider)
    assert world.store.exists(stored.key, world.operator)
    world.store.delete(stored.key, world.operator)


def test_refused_upload_leaves_no_bytes_behind(world: StoreWorld) -> None:
    needs(world, "outsider")
    assert world.outsider is not None
    with pytest.raises(Forbidden):
        world.store.put(world.client_id, "intrusion.pdf", PDF, "application/pdf", world.outsider)
    if world.root is not None:
        client_dir = world.root / "invoices" / str(world.client_id)
        leftovers = [p for p in client_dir.rglob("*") if p.is_file()] if client_dir.exists() else []
        assert leftovers == []


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", "", "not/a/key", f"{uuid.uuid4()}/2026/01/01/../../x"],
)
def test_keys_not_made_by_the_store_are_refused(world: StoreWorld, key: str) -> None:
    for call in (
        lambda: world.store.get(key, world.operator),
        lambda: world.store.exists(key, world.operator),
        lambda: world.store.delete(key, world.operator),
        lambda: world.store.signed_url(key, world.operator, 60),
    ):
        with pytest.raises(ValidationFailed):
            call()


def test_empty_and_oversized_uploads_are_refused(world: StoreWorld) -> None:
    with pytest.raises(EmptyDocument):
        world.store.put(world.client_id, "empty.pdf", b"", "application/pdf", world.operator)
    with pytest.raises(TooLarge):
        world.store.put(world.client_id, "big.pdf", b"x" * (MAX_BYTES + 1), "application/pdf",
                        world.operator)  # fmt: skip


def test_invalid_content_type_is_refused(world: StoreWorld) -> None:
    with pytest.raises(ValidationFailed):
        world.store.put(world.client_id, "a.pdf", PDF, "text/html\r\nX-Evil: 1", world.operator)


def test_signed_urls_expire_and_cannot_be_altered(world: StoreWorld) -> None:
    stored = world.store.put(world.client_id, "link.pdf", PDF, "application/pdf", world.operator)
    other = world.store.put(world.client_id, "other.pdf", b"other", "application/pdf",
                            world.operator)  # fmt: skip
    url = world.store.signed_url(stored.key, world.operator, 60)
    short = world.store.signed_url(stored.key, world.operator, 1)
    assert world.fetch(url)[0] == PDF
    with pytest.raises(InvoiceFlowError):
        world.fetch(url.replace(stored.key, other.key))
    time.sleep(2.1)
    with pytest.raises(InvoiceFlowError):
        world.fetch(short)
    assert world.fetch(url)[0] == PDF
    for key in (stored.key, other.key):
        world.store.delete(key, world.operator)
