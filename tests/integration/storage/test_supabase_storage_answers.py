"""Supabase Storage's real answers (issue 18) and what the store makes of them, over real HTTP.

storage-api sends every 4xx as HTTP 400 with the real status in the body's ``statusCode``
(``src/internal/errors/storage-error.ts``, ``src/http/error-handler.ts``); a bad JWT is
``AccessDenied``/"Unauthorized" on upload and sign and anonymous on download and info
(``src/http/plugins/jwt.ts``); bucket MIME types are matched whole; a missing bucket is
``NoSuchBucket``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from core.auth.models import CurrentUser
from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.errors import ConfigurationError, TooLarge, UnsupportedType
from core.storage.supabase_store import SupabaseFileStore
from core.workflow.readiness import check_readiness
from tests.fakes.ports import fake_services
from tests.fakes.supabase_fake import Bucket, SupabaseFake, running_fake

PASSWORD = "long enough password"
# docs/deploy-ec2.md 2.3: the bucket's allowed types, exactly what the store sends.
ALLOWED = ["application/pdf", "image/png", "image/jpeg", "image/tiff", "application/xml",
           "text/xml", "application/octet-stream"]  # fmt: skip


@pytest.fixture
def fake() -> Iterator[SupabaseFake]:
    with running_fake() as server:
        server.buckets["invoices"] = Bucket(allowed_mime_types=ALLOWED, file_size_limit=1024)
        yield server


def _settings(fake: SupabaseFake, tmp_path: Path, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", auth_backend="supabase", storage_backend="supabase",
        supabase_url=fake.url, supabase_anon_key=fake.anon_key, jwt_secret=fake.jwt_secret,
        data_dir=tmp_path, **extra,
    )  # fmt: skip


@pytest.fixture
def operator(fake: SupabaseFake, tmp_path: Path) -> tuple[CurrentUser, uuid.UUID]:
    settings = _settings(fake, tmp_path)
    address = f"op-{uuid.uuid4().hex[:8]}@example.test"
    fake.add_user(address, PASSWORD)
    auth = SupabaseAuthProvider(settings, verifier=TokenVerifier.from_settings(settings))
    user = auth.sign_in(address, PASSWORD).user
    client_id = uuid.uuid4()
    fake.add_member(client_id, user.id, "operator")
    return user, client_id


def test_storage_errors_are_http_400_with_the_status_in_the_body(
    fake: SupabaseFake, operator: tuple[CurrentUser, uuid.UUID]
) -> None:
    user, client_id = operator
    base = f"{fake.url}/storage/v1/object"
    forged = jwt.encode(user.claims, "another-secret-0123456789-abcdefghijk", algorithm="HS256")
    key = f"{client_id}/2026/01/01/{uuid.uuid4().hex}-a.pdf"
    headers = {"apikey": fake.anon_key, "Authorization": f"Bearer {forged}"}
    upload = httpx.post(f"{base}/invoices/{key}", headers=headers,
                        files={"file": ("a.pdf", b"%PDF", "application/pdf")})  # fmt: skip
    assert upload.status_code == 400
    assert upload.json() | {"message": ""} == {
        "statusCode": "403", "code": "AccessDenied", "error": "Unauthorized", "message": ""
    }  # fmt: skip
    sign = httpx.post(f"{base}/sign/invoices/{key}", headers=headers, json={"expiresIn": 60})
    assert (sign.status_code, sign.json()["statusCode"]) == (400, "403")
    for path in (f"{base}/invoices/{key}", f"{base}/info/invoices/{key}"):
        anonymous = httpx.get(path, headers=headers)  # a bad JWT is anon here: not found
        assert (anonymous.status_code, anonymous.json()["statusCode"]) == (400, "404")
        assert anonymous.json()["error"] == "not_found"


def test_the_store_sends_bare_mime_types_the_bucket_allows(
    fake: SupabaseFake, operator: tuple[CurrentUser, uuid.UUID], tmp_path: Path
) -> None:
    user, client_id = operator
    key = f"{client_id}/2026/01/01/{uuid.uuid4().hex}-a.xml"
    raw = httpx.post(
        f"{fake.url}/storage/v1/object/invoices/{key}",
        headers={"apikey": fake.anon_key, "Authorization": f"Bearer {user.access_token}"},
        files={"file": ("a.xml", b"<x/>", "text/xml; charset=utf-8")},
    )
    assert raw.json()["statusCode"] == "415"  # matched whole: parameters make it another type
    store = SupabaseFileStore(_settings(fake, tmp_path))
    stored = store.put(client_id, "a.xml", b"<x/>", "text/xml; charset=utf-8", user)
    assert stored.content_type == "text/xml"
    assert fake.objects[("invoices", stored.key)]["content_type"] == "text/xml"
    with pytest.raises(UnsupportedType):
        store.put(client_id, "a.html", b"<html/>", "text/html", user)
    with pytest.raises(TooLarge):  # the bucket's own limit (1 KiB here), below ours
        store.put(client_id, "big.pdf", b"x" * 2048, "application/pdf", user)


def test_a_missing_bucket_is_a_configuration_error_and_not_ready(
    fake: SupabaseFake, operator: tuple[CurrentUser, uuid.UUID], tmp_path: Path
) -> None:
    user, client_id = operator
    del fake.buckets["invoices"]
    store = SupabaseFileStore(_settings(fake, tmp_path, supabase_service_key=fake.service_key))
    with pytest.raises(ConfigurationError, match="bucket"):
        store.put(client_id, "a.pdf", b"%PDF", "application/pdf", user)
    with pytest.raises(ConfigurationError, match="does not exist"):
        store.ping()

    component = check_readiness(fake_services(storage=store))["storage"]
    assert not component.ok
    assert "bucket 'invoices' does not exist" in component.detail
    fake.buckets["invoices"] = Bucket()
    store.ping()  # the bucket is back: ready again
