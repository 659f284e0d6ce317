"""Token verification: HS256 with the project secret, ES256/RS256 via a JWKS served over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.auth.verifier import JwksCache, TokenVerifier
from core.errors import InvalidToken, TokenExpired, UpstreamError
from tests.fakes.http_server import serve

SECRET = "unit-test-project-secret-0123456789abcdef"
ISSUER = "https://project.example.test/auth/v1"


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": str(uuid.uuid4()),
        "role": "authenticated",
        "aud": "authenticated",
        "email": "ada@example.test",
        "iss": ISSUER,
        "iat": now,
        "exp": now + 600,
        "session_id": str(uuid.uuid4()),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(payload: dict[str, Any], secret: str = SECRET, **headers: Any) -> str:
    return jwt.encode(payload, secret, algorithm="HS256", headers=headers or None)


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class JwksServer:
    """A JWKS endpoint whose key set the test can rotate; counts requests."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    hits: int = 0
    failing: bool = False
    url: str = ""

    def app(self) -> Starlette:
        async def jwks(request: Request) -> JSONResponse:
            self.hits += 1
            if self.failing:
                return JSONResponse({"error": "unavailable"}, status_code=503)
            return JSONResponse({"keys": self.keys})

        return Starlette(routes=[Route("/auth/v1/.well-known/jwks.json", jwks)])


def public_jwk(private_key: Any, kid: str, alg: str) -> dict[str, Any]:
    algo = jwt.get_algorithm_by_name(alg)
    jwk = json.loads(algo.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": alg, "use": "sig"})
    return jwk


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_server(ec_key: Any, rsa_key: Any) -> Iterator[JwksServer]:
    server = JwksServer()
    with serve(server.app()) as base:
        server.url = base + "/auth/v1/.well-known/jwks.json"
        yield server


@pytest.fixture()
def jwks(jwks_server: JwksServer, ec_key: Any, rsa_key: Any) -> JwksServer:
    jwks_server.keys = [public_jwk(ec_key, "ec-1", "ES256"), public_jwk(rsa_key, "rsa-1", "RS256")]
    jwks_server.hits = 0
    jwks_server.failing = False
    return jwks_server


def make_verifier(jwks_url: str | None = None, **kwargs: Any) -> TokenVerifier:
    cache = JwksCache(jwks_url, min_refetch_seconds=0) if jwks_url else None
    return TokenVerifier(issuer=ISSUER, secret=SECRET, jwks=cache, **kwargs)


# --- HS256 -----------------------------------------------------------------------------------


def test_valid_hs256_token_gives_current_user_with_claims() -> None:
    payload = claims()
    token = hs256(payload)
    user = make_verifier().current_user(token)
    assert str(user.id) == payload["sub"]
    assert user.email == "ada@example.test"
    assert user.role == "authenticated"
    assert user.claims["session_id"] == payload["session_id"]
    assert user.session_id == payload["session_id"]
    assert user.access_token == token


def test_expired_token_is_refused_as_expired() -> None:
    past = int(time.time()) - 3600
    with pytest.raises(TokenExpired, match="expired"):
        make_verifier().verify(hs256(claims(iat=past - 60, exp=past)))


def test_expiry_within_leeway_is_tolerated_but_not_beyond() -> None:
    now = int(time.time())
    verifier = make_verifier(leeway_seconds=30)
    assert verifier.verify(hs256(claims(iat=now - 100, exp=now - 5)))["sub"]
    with pytest.raises(TokenExpired):
        verifier.verify(hs256(claims(iat=now - 100, exp=now - 60)))


def test_tampered_payload_is_refused() -> None:
    header, _payload, signature = hs256(claims()).split(".")
    forged = b64(claims(sub=str(uuid.uuid4()), role="service_role"))
    with pytest.raises(InvalidToken, match="signature"):
        make_verifier().verify(f"{header}.{forged}.{signature}")


def test_alg_none_is_refused() -> None:
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims())}."
    with pytest.raises(InvalidToken, match="not allowed"):
        make_verifier().verify(token)


def test_wrong_audience_is_refused() -> None:
    with pytest.raises(InvalidToken, match="audience"):
        make_verifier().verify(hs256(claims(aud="anon")))


def test_wrong_issuer_is_refused() -> None:
    with pytest.raises(InvalidToken, match="issuer"):
        make_verifier().verify(hs256(claims(iss="https://evil.example.test/auth/v1")))


def test_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidToken, match="signature"):
        make_verifier().verify(hs256(claims(), secret="some-other-secret-0123456789abcdefgh"))


@pytest.mark.parametrize("missing", ["exp", "sub", "aud", "iss", "iat"])
def test_token_without_a_required_claim_is_refused(missing: str) -> None:
    payload = claims()
    del payload[missing]
    with pytest.raises(InvalidToken):
        make_verifier().verify(hs256(payload))


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "a.b", "é.é.é"])
def test_malformed_token_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        make_verifier().verify(garbage)


def test_algorithm_outside_allow_list_is_refused() -> None:
    verifier = make_verifier(algorithms=("ES256",))
    with pytest.raises(InvalidToken, match="'HS256' is not allowed"):
        verifier.verify(hs256(claims()))


def test_hs384_is_refused_even_with_the_right_secret() -> None:
    token = jwt.encode(claims(), SECRET, algorithm="HS384")
    with pytest.raises(InvalidToken, match="not allowed"):
        make_verifier().verify(token)


def test_unknown_algorithm_in_allow_list_is_a_configuration_bug() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        TokenVerifier(issuer=ISSUER, secret=SECRET, algorithms=("HS256", "none"))


def test_anon_role_token_is_not_a_signed_in_user() -> None:
    with pytest.raises(InvalidToken, match="role"):
        make_verifier().current_user(hs256(claims(role="anon")))


def test_subject_that_is_not_a_uuid_is_refused() -> None:
    with pytest.raises(InvalidToken, match="subject"):
        make_verifier().current_user(hs256(claims(sub="admin")))


def test_hs256_refused_when_no_secret_configured() -> None:
    verifier = TokenVerifier(issuer=ISSUER, secret=None)
    with pytest.raises(InvalidToken, match="no project secret"):
        verifier.verify(hs256(claims()))


# --- ES256 / RS256 through the JWKS ----------------------------------------------------------


def test_es256_and_rs256_tokens_verify_through_the_jwks(
    jwks: JwksServer, ec_key: Any, rsa_key: Any
) -> None:
    verifier = make_verifier(jwks.url)
    es = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    rs = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    assert verifier.current_user(es).role == "authenticated"
    assert verifier.current_user(rs).role == "authenticated"
    assert jwks.hits == 1  # cached after the first fetch


def test_jwks_is_refetched_after_its_ttl(jwks: JwksServer, ec_key: Any) -> None:
    verifier = TokenVerifier(
        issuer=ISSUER, jwks=JwksCache(jwks.url, ttl_seconds=0, min_refetch_seconds=0)
    )
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    verifier.verify(token)
    verifier.verify(token)
    assert jwks.hits == 2


def test_unknown_kid_triggers_a_refetch_and_picks_up_a_rotated_key(jwks: JwksServer) -> None:
    verifier = make_verifier(jwks.url)
    old = ec.generate_private_key(ec.SECP256R1())
    jwks.keys = [public_jwk(old, "ec-old", "ES256")]
    verifier.verify(jwt.encode(claims(), old, algorithm="ES256", headers={"kid": "ec-old"}))
    new = ec.generate_private_key(ec.SECP256R1())
    jwks.keys.append(public_jwk(new, "ec-new", "ES256"))
    verifier.verify(jwt.encode(claims(), new, algorithm="ES256", headers={"kid": "ec-new"}))
    assert jwks.hits == 2


def test_unknown_kid_refetch_is_rate_limited(jwks: JwksServer, ec_key: Any) -> None:
    verifier = TokenVerifier(issuer=ISSUER, jwks=JwksCache(jwks.url, min_refetch_seconds=3600))
    verifier.verify(jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"}))
    for i in range(5):
        token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": f"random-{i}"})
        with pytest.raises(InvalidToken, match="unknown key"):
            verifier.verify(token)
    assert jwks.hits == 1


def test_token_signed_by_a_key_outside_the_jwks_is_refused(jwks: JwksServer) -> None:
    attacker = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), attacker, algorithm="ES256", headers={"kid": "ec-1"})
    with pytest.raises(InvalidToken, match="signature"):
        make_verifier(jwks.url).verify(token)


def test_expired_es256_token_is_refused_as_expired(jwks: JwksServer, ec_key: Any) -> None:
    past = int(time.time()) - 3600
    token = jwt.encode(
        claims(iat=past - 60, exp=past), ec_key, algorithm="ES256", headers={"kid": "ec-1"}
    )
    with pytest.raises(TokenExpired):
        make_verifier(jwks.url).verify(token)


def test_wrong_audience_es256_token_is_refused(jwks: JwksServer, rsa_key: Any) -> None:
    token = jwt.encode(claims(aud="other"), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    with pytest.raises(InvalidToken, match="audience"):
        make_verifier(jwks.url).verify(token)


def test_key_of_one_algorithm_cannot_verify_another(jwks: JwksServer, rsa_key: Any) -> None:
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "ec-1"})
    with pytest.raises(InvalidToken, match="is for ES256"):
        make_verifier(jwks.url).verify(token)


def test_public_key_used_as_hmac_secret_is_refused(jwks: JwksServer, rsa_key: Any) -> None:
    # Classic key confusion: sign HS256 with the published RSA public key as the secret.
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    payload = b64(claims())
    signing_input = f"{header}.{payload}".encode()
    sig = base64.urlsafe_b64encode(hmac.new(pem, signing_input, hashlib.sha256).digest())
    token = f"{header}.{payload}.{sig.rstrip(b'=').decode()}"
    with pytest.raises(InvalidToken, match="signature"):
        make_verifier(jwks.url).verify(token)


def test_asymmetric_token_refused_without_jwks(ec_key: Any) -> None:
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    with pytest.raises(InvalidToken, match="no JWKS URL"):
        make_verifier().verify(token)


def test_asymmetric_token_without_kid_is_refused(jwks: JwksServer, ec_key: Any) -> None:
    token = jwt.encode(claims(), ec_key, algorithm="ES256")
    with pytest.raises(InvalidToken, match="kid"):
        make_verifier(jwks.url).verify(token)


def test_unreachable_jwks_is_an_upstream_error(ec_key: Any) -> None:
    with serve(Starlette()) as base:
        dead_url = base + "/missing/jwks.json"  # 404 from a live server
        token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
        with pytest.raises(UpstreamError, match="JWKS"):
            make_verifier(dead_url).verify(token)


def test_cached_keys_keep_working_while_the_jwks_endpoint_is_down(
    jwks: JwksServer, ec_key: Any
) -> None:
    verifier = TokenVerifier(
        issuer=ISSUER, jwks=JwksCache(jwks.url, ttl_seconds=0, min_refetch_seconds=0)
    )
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    verifier.verify(token)
    jwks.failing = True
    assert verifier.verify(token)["role"] == "authenticated"
    assert jwks.hits == 2  # it did try to refresh


def test_jwks_outage_without_cached_keys_is_an_upstream_error(
    jwks: JwksServer, ec_key: Any
) -> None:
    jwks.failing = True
    token = jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    with pytest.raises(UpstreamError, match="JWKS"):
        make_verifier(jwks.url).verify(token)


def test_a_verified_token_is_remembered_until_it_expires() -> None:
    now = int(time.time())
    verifier = make_verifier()
    token = hs256(claims(iat=now - 10, exp=now + 2))
    assert verifier.cached_user(token) is None  # never seen
    user = verifier.current_user(token)
    assert verifier.cached_user(token) is user
    assert verifier.current_user(token) is user  # answered from the cache
    time.sleep(2.1)
    assert verifier.cached_user(token) is None  # expired: never answered from the cache
    with pytest.raises(TokenExpired):
        verifier.current_user(token)


def test_the_cache_never_answers_for_a_token_that_failed() -> None:
    now = int(time.time())
    verifier = make_verifier()
    good = hs256(claims(iat=now - 10, exp=now + 600))
    verifier.current_user(good)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    with pytest.raises(InvalidToken):
        verifier.current_user(tampered)
    assert verifier.cached_user(tampered) is None
