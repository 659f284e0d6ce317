"""Content types and local signed URLs."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from core.errors import EmptyDocument, InvalidToken, TokenExpired, TooLarge, ValidationFailed
from core.storage.keys import make_key
from core.storage.port import check_size, normalise_content_type
from core.storage.signed_urls import derive_signing_key, sign_url, verify_signed_url

KEY = derive_signing_key("project-secret-for-unit-tests-0123456789")


@pytest.mark.parametrize(
    ("given", "filename", "expected"),
    [
        ("application/pdf", "a.pdf", "application/pdf"),
        ("Application/PDF", "a.pdf", "application/pdf"),
        (None, "a.pdf", "application/pdf"),
        ("", "scan.png", "image/png"),
        ("  ", "invoice.xml", "application/xml"),
        (None, "no-extension", "application/octet-stream"),
        ("text/plain; charset=utf-8", "a.txt", "text/plain; charset=utf-8"),
    ],
)
def test_content_type_is_always_set(given: str | None, filename: str, expected: str) -> None:
    assert normalise_content_type(given, filename) == expected


@pytest.mark.parametrize(
    "bad", ["pdf", "text/html\r\nX-Injected: 1", "a/b; c", "/", "a/" + "b" * 300]
)
def test_invalid_content_types_are_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise_content_type(bad, "a.pdf")


def test_size_limits() -> None:
    check_size(b"x", 1)
    with pytest.raises(EmptyDocument):
        check_size(b"", 10)
    with pytest.raises(TooLarge):
        check_size(b"xx", 1)


def test_signed_url_round_trip() -> None:
    key = make_key(uuid.uuid4(), "a.pdf")
    url = sign_url(KEY, "invoices", key, "application/pdf", 60)
    assert url.startswith("/storage/v1/object/sign/invoices/")
    assert verify_signed_url(KEY, url) == ("invoices", key, "application/pdf")
    assert verify_signed_url(KEY, "http://localhost:8000" + url)[1] == key
    token = url.split("token=", 1)[1]
    assert verify_signed_url(KEY, token)[1] == key


def test_signed_url_expires() -> None:
    key = make_key(uuid.uuid4(), "a.pdf")
    now = int(time.time())
    token = jwt.encode({"url": f"invoices/{key}", "iat": now - 100, "exp": now - 1}, KEY, "HS256")
    with pytest.raises(TokenExpired):
        verify_signed_url(KEY, token)


def test_signed_url_for_another_object_is_refused() -> None:
    mine = make_key(uuid.uuid4(), "a.pdf")
    theirs = make_key(uuid.uuid4(), "b.pdf")
    url = sign_url(KEY, "invoices", mine, "application/pdf", 60)
    altered = url.replace(mine, theirs)
    with pytest.raises(InvalidToken, match="altered"):
        verify_signed_url(KEY, altered)


def test_signed_url_with_another_key_or_tampered_token_is_refused() -> None:
    key = make_key(uuid.uuid4(), "a.pdf")
    url = sign_url(derive_signing_key("another-project-secret-0123456789abc"), "invoices", key,
                   "application/pdf", 60)  # fmt: skip
    with pytest.raises(InvalidToken):
        verify_signed_url(KEY, url)
    with pytest.raises(InvalidToken):
        verify_signed_url(KEY, sign_url(KEY, "invoices", key, "application/pdf", 60) + "x")


def test_signing_key_is_not_the_project_secret() -> None:
    secret = "project-secret-for-unit-tests-0123456789"
    assert derive_signing_key(secret) != secret.encode()
    assert len(derive_signing_key(secret)) == 32
