"""F0: each configured key source verifies only what it owns; no built-in secret outside dev.

The attack: a deployment that follows the guide for asymmetric signing keys sets only
``SUPABASE_JWKS_URL``. The settings and the verifier must then refuse every HS256 token, however
it was signed: with the development secret that ships in ``core/config.py``, with an empty key or
with any placeholder from ``.env.example``. The JWKS verifies only its own asymmetric keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.auth.verifier import JwksCache, TokenVerifier
from core.config import DEV_JWT_SECRET, PLACEHOLDER_SECRETS, Settings
from core.errors import InvalidToken
from tests.fakes.http_server import serve

pytestmark = [
    pytest.mark.security,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

SUPABASE_URL = "https://project.example.test"
ISSUER = SUPABASE_URL + "/auth/v1"
# Every secret an attacker can read in the repository or guess from the example file.
BUILT_IN_SECRETS = sorted({DEV_JWT_SECRET, *PLACEHOLDER_SECRETS, "changeme"})


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment: keep the developer's shell out of these tests."""
    for name in list(os.environ):
        if name.startswith(("INVOICEFLOW_", "SUPABASE_", "OPENAI_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def jwks_url(signing_key: ec.EllipticCurvePrivateKey) -> Iterator[str]:
    """A JWKS with one ES256 key (``es-1``) and one symmetric key (``hs-1``) on loopback."""
    public = json.loads(jwt.get_algorithm_by_name("ES256").to_jwk(signing_key.public_key()))
    public.update({"kid": "es-1", "alg": "ES256", "use": "sig"})
    # A JWKS never legitimately carries a shared secret; a hostile or misconfigured one might.
    symmetric = json.loads(jwt.get_algorithm_by_name("HS256").to_jwk(DEV_JWT_SECRET.encode()))
    symmetric.update({"kid": "hs-1", "alg": "HS256"})

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse({"keys": [public, symmetric]})

    with serve(Starlette(routes=[Route("/auth/v1/.well-known/jwks.json", jwks)])) as base:
        yield base + "/auth/v1/.well-known/jwks.json"


def production_jwks_only(jwks_url: str, **values: Any) -> Settings:
    """The deployment guide's setup for asymmetric keys: only SUPABASE_JWKS_URL is set."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="production",
        database_url="postgresql://app:a-real-database-password-123@db.example.test/postgres",
        auth_backend="supabase",
        storage_backend="supabase",
        supabase_url=SUPABASE_URL,
        supabase_anon_key="a-real-anon-key-value",
        jwks_url=jwks_url,
        **values,
    )


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "sub": str(uuid.uuid4()),  # any user the attacker wants to be
        "aud": "authenticated",
        "role": "authenticated",
        "iat": now,
        "exp": now + 600,
        "session_id": str(uuid.uuid4()),
        **overrides,
    }


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge_hs256(secret: str, **headers: Any) -> str:
    """An HS256 token signed by hand: an attacker's signer accepts empty and short keys."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", **headers}).encode())
    payload = _b64(json.dumps(claims()).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64(signature.digest())}"


@pytest.mark.parametrize("secret", BUILT_IN_SECRETS)
def test_jwks_only_production_refuses_hs256_tokens_forged_with_built_in_secrets(
    jwks_url: str, secret: str
) -> None:
    verifier = TokenVerifier.from_settings(production_jwks_only(jwks_url))
    with pytest.raises(InvalidToken):
        verifier.current_user(forge_hs256(secret))


def test_jwks_only_production_accepts_a_valid_es256_token(
    jwks_url: str, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    verifier = TokenVerifier.from_settings(production_jwks_only(jwks_url))
    token = jwt.encode(claims(), signing_key, algorithm="ES256", headers={"kid": "es-1"})
    assert verifier.current_user(token).role == "authenticated"


@pytest.mark.parametrize("secret", ["changeme", "secret", DEV_JWT_SECRET, "short-secret"])
def test_placeholder_secret_next_to_a_jwks_is_refused_outside_development(
    jwks_url: str, secret: str
) -> None:
    # .env.example used to ship SUPABASE_JWT_SECRET=changeme next to the JWKS URL.
    with pytest.raises(ValidationError, match="real secret"):
        production_jwks_only(jwks_url, jwt_secret=secret)


@pytest.mark.parametrize("secret", ["changeme", "", DEV_JWT_SECRET])
def test_verifier_never_takes_a_built_in_secret_even_when_validation_is_bypassed(
    jwks_url: str, secret: str
) -> None:
    # model_copy skips the validators: the verifier must still not use the secret as a key.
    settings = production_jwks_only(jwks_url).model_copy(update={"jwt_secret": SecretStr(secret)})
    verifier = TokenVerifier.from_settings(settings)
    with pytest.raises(InvalidToken):
        verifier.current_user(forge_hs256(secret or DEV_JWT_SECRET))


def test_a_real_secret_next_to_the_jwks_verifies_hs256_only(
    jwks_url: str, signing_key: ec.EllipticCurvePrivateKey
) -> None:
    real = "a-real-legacy-project-secret-0123456789-abcdef"
    verifier = TokenVerifier.from_settings(production_jwks_only(jwks_url, jwt_secret=real))
    assert verifier.current_user(forge_hs256(real)).role == "authenticated"
    es = jwt.encode(claims(), signing_key, algorithm="ES256", headers={"kid": "es-1"})
    assert verifier.current_user(es).role == "authenticated"
    with pytest.raises(InvalidToken):
        verifier.current_user(forge_hs256(DEV_JWT_SECRET))


def test_the_jwks_never_supplies_a_symmetric_key(jwks_url: str) -> None:
    cache = JwksCache(jwks_url, min_refetch_seconds=0)
    assert cache.key_for("es-1").algorithm_name == "ES256"
    with pytest.raises(InvalidToken, match="unknown key"):
        cache.key_for("hs-1")
    verifier = TokenVerifier.from_settings(production_jwks_only(jwks_url))
    with pytest.raises(InvalidToken):
        verifier.current_user(forge_hs256(DEV_JWT_SECRET, kid="hs-1"))


def test_embedded_default_still_signs_and_verifies_with_the_development_secret() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment.value == "development"
    verifier = TokenVerifier.from_settings(settings)
    token = jwt.encode(claims(iss="invoiceflow-local"), DEV_JWT_SECRET, algorithm="HS256")
    assert verifier.current_user(token).role == "authenticated"
