"""Supabase Auth's real answers (issue 18) and what the adapter makes of them, over real HTTP.

Each test states GoTrue's answer (the fake's source is named in tests/fakes/supabase_fake.py)
and then our adapter's: rate limits with and without a body, the e-mail limit, Sb-Forwarded-For,
confirmation on, ES256 tokens from the JWKS with key rotation, anonymous users, 72-byte
passwords and a custom domain's issuer.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.errors import (
    ConfirmationRequired,
    InvalidToken,
    RateLimited,
    ValidationFailed,
)
from tests.fakes.supabase_fake import KeySetup, SupabaseFake, running_fake

PASSWORD = "long enough password"


def email() -> str:
    return f"sb-{uuid.uuid4().hex[:10]}@example.test"


def provider(fake: SupabaseFake, tmp_path: Path, **extra: object) -> SupabaseAuthProvider:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="test",
        auth_backend="supabase",
        storage_backend="supabase",
        supabase_url=fake.url,
        supabase_anon_key=fake.anon_key,
        jwt_secret=fake.jwt_secret if fake.key_setup != "revoked" else "",
        jwks_url=fake.jwks_url if fake.key_setup != "legacy" else None,
        data_dir=tmp_path,
        **extra,
    )
    return SupabaseAuthProvider(settings, verifier=TokenVerifier.from_settings(settings))


def test_gotrue_rate_limit_is_a_429_with_its_code(tmp_path: Path) -> None:
    with running_fake(signin_limit=2) as fake:
        raw = [
            httpx.post(f"{fake.url}/auth/v1/token?grant_type=password",
                       json={"email": "x@example.test", "password": "wrong password"},
                       headers={"apikey": fake.anon_key})
            for _ in range(3)
        ]  # fmt: skip
        assert [r.status_code for r in raw] == [400, 400, 429]
        assert raw[2].json()["code"] == "over_request_rate_limit"
        with pytest.raises(RateLimited) as limited:
            provider(fake, tmp_path).sign_in(email(), PASSWORD)
    assert limited.value.code == "rate_limited"
    assert limited.value.retry_after == 60  # no Retry-After: about a minute frees a slot


def test_a_bare_429_with_retry_after_is_honoured(tmp_path: Path) -> None:
    with running_fake() as fake:
        fake.gateway_retry_after = 17
        raw = httpx.post(f"{fake.url}/auth/v1/token?grant_type=password", json={})
        assert raw.status_code == 429 and raw.headers["retry-after"] == "17"
        assert raw.headers["content-type"].startswith("text/plain")  # no JSON body
        auth = provider(fake, tmp_path)
        for call in (
            lambda: auth.sign_in(email(), PASSWORD),
            lambda: auth.sign_up(email(), PASSWORD),
            lambda: auth.refresh("abcdefabcdef"),
        ):
            with pytest.raises(RateLimited) as limited:
                call()
            assert limited.value.retry_after == 17


def test_the_hourly_email_limit_is_told_apart(tmp_path: Path) -> None:
    with running_fake(confirm_email=True, email_limit_per_hour=2) as fake:
        auth = provider(fake, tmp_path)
        auth.sign_up(email(), PASSWORD)
        auth.sign_up(email(), PASSWORD)
        with pytest.raises(RateLimited) as limited:
            auth.sign_up(email(), PASSWORD)  # GoTrue: 429 over_email_send_rate_limit
    assert limited.value.code == "email_rate_limited"
    assert limited.value.retry_after == 3600


@pytest.mark.parametrize("key_setup", ["legacy", "new"])
def test_client_ip_is_forwarded_only_with_a_secret_key(tmp_path: Path, key_setup: KeySetup) -> None:
    with running_fake(key_setup=key_setup, signin_limit=1) as fake:
        address = email()
        fake.add_user(address, PASSWORD)
        auth = provider(fake, tmp_path, supabase_service_key=fake.service_key)
        auth.sign_in(address, PASSWORD, client_ip="203.0.113.7")
        sent = fake.last_headers("/token")
        if key_setup == "new":
            assert auth.forwards_client_ip
            assert sent["sb-forwarded-for"] == "203.0.113.7"
            assert sent["apikey"] == fake.secret_key and "authorization" not in sent
            # Another user's sign-in counts against their own address, not the server's.
            auth.sign_in(address, PASSWORD, client_ip="198.51.100.9")
        else:  # legacy service_role keys cannot forward (docs: ip-forwarding prerequisites)
            assert not auth.forwards_client_ip
            assert "sb-forwarded-for" not in sent and sent["apikey"] == fake.anon_key
            with pytest.raises(RateLimited):
                auth.sign_in(address, PASSWORD, client_ip="198.51.100.9")


def test_unconfirmed_address_is_confirmation_required_after_the_password(
    tmp_path: Path,
) -> None:
    with running_fake(confirm_email=True) as fake:
        auth = provider(fake, tmp_path)
        address = email()
        assert auth.sign_up(address, PASSWORD).state == "confirm_email"
        taken = httpx.post(f"{fake.url}/auth/v1/signup", headers={"apikey": fake.anon_key},
                           json={"email": address, "password": PASSWORD})  # fmt: skip
        assert taken.status_code == 200 and taken.json()["identities"] == []  # obfuscated user
        assert taken.json()["id"] != fake.users[address]["id"]
        with pytest.raises(ConfirmationRequired):
            auth.sign_in(address, PASSWORD)
        with pytest.raises(Exception) as wrong:
            auth.sign_in(address, "not the password at all")
        assert wrong.value.__class__.__name__ == "InvalidCredentials"
        fake.confirm(address)
        assert auth.sign_in(address, PASSWORD).user.email == address


def test_es256_tokens_verify_through_the_jwks_across_key_rotation(tmp_path: Path) -> None:
    with running_fake(key_setup="new") as fake:
        assert httpx.get(fake.jwks_url).status_code == 200  # public: no apikey needed
        # docs signing-keys: a standby key is published first, then "rotate" makes it current;
        # a verifier that cached the JWKS knows it already (no refetch storm at rotation).
        standby = fake.add_standby_key()
        auth = provider(fake, tmp_path)
        address = email()
        fake.add_user(address, PASSWORD)
        before = auth.sign_in(address, PASSWORD)
        new_kid = fake.rotate_signing_key()
        assert new_kid == standby
        after = auth.sign_in(address, PASSWORD)
        assert before.user.claims["iss"] == fake.issuer
        assert auth.get_user(after.access_token).id == after.user.id
        assert auth.get_user(before.access_token).id == before.user.id  # old key still listed
        from jwt import get_unverified_header

        assert get_unverified_header(after.access_token)["kid"] == new_kid
        fake.revoke_legacy_secret()
        revoked = provider(fake, tmp_path)
        forged = fake.sign(dict(after.user.claims), alg="HS256")
        with pytest.raises(InvalidToken):
            revoked.get_user(forged)


def test_anonymous_users_are_refused_unless_allowed(tmp_path: Path) -> None:
    with running_fake(allow_anonymous=True) as fake:
        raw = httpx.post(f"{fake.url}/auth/v1/signup", json={}, headers={"apikey": fake.anon_key})
        token = raw.json()["access_token"]
        with pytest.raises(InvalidToken, match="anonymous"):
            provider(fake, tmp_path).get_user(token)
        allowed = provider(fake, tmp_path, allow_anonymous_users=True).get_user(token)
        assert allowed.claims["is_anonymous"] is True


def test_passwords_over_72_bytes_are_refused_before_auth(tmp_path: Path) -> None:
    with running_fake() as fake:
        raw = httpx.post(f"{fake.url}/auth/v1/signup", headers={"apikey": fake.anon_key},
                         json={"email": email(), "password": "é" * 37})  # fmt: skip
        assert raw.status_code == 400 and raw.json()["code"] == "validation_failed"
        fake.requests.clear()
        with pytest.raises(ValidationFailed, match="72 bytes"):
            provider(fake, tmp_path).sign_up(email(), "é" * 37)  # 37 characters, 74 bytes
        assert fake.requests == []


def test_a_custom_domains_tokens_verify_with_the_configured_issuers(tmp_path: Path) -> None:
    with running_fake() as fake:
        address = email()
        fake.add_user(address, PASSWORD)
        token = provider(fake, tmp_path).sign_in(address, PASSWORD).access_token
        custom = Settings(  # type: ignore[call-arg]
            _env_file=None, environment="test", auth_backend="supabase",
            supabase_url="https://auth.example.test", supabase_anon_key=fake.anon_key,
            jwt_secret=fake.jwt_secret, data_dir=tmp_path,
        )  # fmt: skip
        with pytest.raises(InvalidToken, match="issuer"):
            TokenVerifier.from_settings(custom).verify(token)
        listed = custom.model_copy(update={"jwt_extra_issuers": (fake.issuer,)})
        assert TokenVerifier.from_settings(listed).verify(token)["iss"] == fake.issuer
