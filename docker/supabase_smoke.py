#!/usr/bin/env python3
"""Live smoke test of a staging Supabase project: ``make smoke-supabase`` (issue 18).

Runs only when the staging project's URL and keys are set; otherwise it says what to set and
exits 0. Every check prints one line, PASS, FAIL or SKIP with the reason; the exit code is 1 when
any check failed. Environment (the same names as the live pytest variants):

- ``SUPABASE_TEST_URL``, ``SUPABASE_TEST_ANON_KEY`` (publishable or legacy anon key): required;
- ``SUPABASE_TEST_EMAIL`` / ``_PASSWORD``: a confirmed owner or operator of
  ``SUPABASE_TEST_CLIENT_ID``; ``SUPABASE_TEST_VIEWER_EMAIL`` / ``_PASSWORD`` and
  ``SUPABASE_TEST_OUTSIDER_EMAIL`` / ``_PASSWORD`` for the role checks;
- ``SUPABASE_TEST_SECRET_KEY`` (``sb_secret_...`` or legacy service_role) and
  ``SUPABASE_TEST_DATABASE_URL`` for the worker check;
- ``SUPABASE_TEST_JWT_SECRET`` (legacy secret, while the project has one) and/or
  ``SUPABASE_TEST_JWKS_URL``;
- ``SUPABASE_TEST_SIGNUP_EMAIL``: a mailbox you own, for the sign-up check (it sends a real
  confirmation e-mail; unset = skipped, so no mail bounces from a made-up address).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from core.auth.models import CurrentUser
from core.auth.supabase_auth import SupabaseAuthProvider
from core.auth.verifier import TokenVerifier
from core.config import DEV_JWT_SECRET, PLACEHOLDER_SECRETS, Settings
from core.errors import (
    ConfirmationRequired,
    Forbidden,
    InvalidToken,
    InvoiceFlowError,
    NotFound,
    TokenExpired,
)
from core.storage.supabase_store import SupabaseFileStore
from core.workflow.transitions import worker_user

REQUIRED = ("SUPABASE_TEST_URL", "SUPABASE_TEST_ANON_KEY", "SUPABASE_TEST_EMAIL",
            "SUPABASE_TEST_PASSWORD", "SUPABASE_TEST_CLIENT_ID")  # fmt: skip
# Secrets anyone can find: ours, the placeholders, Supabase's local-development default.
BUILT_IN_SECRETS = sorted(
    {DEV_JWT_SECRET, "super-secret-jwt-token-with-at-least-32-characters-long"}
    | {s for s in PLACEHOLDER_SECRETS if s}
)
PDF = b"%PDF-1.4\n% invoiceflow smoke test\n%%EOF\n"
results: list[str] = []


def report(status: str, name: str, detail: str) -> None:
    results.append(status)
    print(f"{status:<5} {name}: {detail}", flush=True)


def check(name: str, fn: Callable[[], str]) -> None:
    """Run one check; its return value is the PASS detail, SkipCheck/any exception the rest."""
    try:
        report("PASS", name, fn())
    except SkipCheck as skip:
        report("SKIP", name, str(skip))
    except Exception as exc:  # a smoke test reports every failure and goes on
        report("FAIL", name, f"{type(exc).__name__}: {exc}")


class SkipCheck(Exception):
    """A check that cannot run with the configuration given."""


def env(name: str) -> str | None:
    return os.environ.get(name) or None


def settings() -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment=env("SUPABASE_TEST_ENVIRONMENT") or "staging",
        auth_backend="supabase",
        storage_backend="supabase",
        supabase_url=env("SUPABASE_TEST_URL"),
        supabase_anon_key=env("SUPABASE_TEST_ANON_KEY"),
        supabase_service_key=env("SUPABASE_TEST_SECRET_KEY"),
        jwt_secret=env("SUPABASE_TEST_JWT_SECRET") or "",
        jwks_url=env("SUPABASE_TEST_JWKS_URL")
        or (env("SUPABASE_TEST_URL") or "").rstrip("/") + "/auth/v1/.well-known/jwks.json",
        database_url=env("SUPABASE_TEST_DATABASE_URL"),
        max_upload_bytes=256 * 1024,
    )


def sign_in(auth: SupabaseAuthProvider, prefix: str) -> CurrentUser | None:
    email, password = env(f"{prefix}_EMAIL"), env(f"{prefix}_PASSWORD")
    return auth.sign_in(email, password).user if email and password else None


def expect(error: type[Exception], call: Callable[[], object]) -> None:
    try:
        call()
    except error:
        return
    raise AssertionError(f"expected {error.__name__}, got an answer")


def main() -> int:
    missing = [name for name in REQUIRED if not env(name)]
    if missing:
        print("SKIP  make smoke-supabase: no staging project configured; set " + ", ".join(missing)
              + " (see docker/supabase_smoke.py and docs/deploy-ec2.md 2.1)")  # fmt: skip
        return 0
    cfg = settings()
    verifier = TokenVerifier.from_settings(cfg)
    auth = SupabaseAuthProvider(cfg, verifier=verifier)
    store = SupabaseFileStore(cfg)
    client_id = uuid.UUID(str(env("SUPABASE_TEST_CLIENT_ID")))
    owner = sign_in(auth, "SUPABASE_TEST")
    assert owner is not None
    token = owner.access_token
    header = jwt.get_unverified_header(token)

    def token_claims() -> str:
        claims = verifier.verify(token)
        assert header.get("alg") in cfg.jwt_algorithms, f"alg {header.get('alg')} not allowed"
        assert claims["iss"] in cfg.accepted_jwt_issuers, f"iss {claims['iss']}"
        assert claims["aud"] == cfg.jwt_audience and claims["role"] == "authenticated"
        assert claims.get("session_id") and claims.get("is_anonymous") is False
        return f"alg={header.get('alg')} kid={header.get('kid')} iss={claims['iss']}"

    def jwks() -> str:
        if header.get("alg") == "HS256":
            raise SkipCheck("the project signs with the legacy HS256 secret (no JWKS kid)")
        response = httpx.get(str(cfg.jwks_url), timeout=10)  # no apikey: the JWKS is public
        response.raise_for_status()
        kids = [k.get("kid") for k in response.json().get("keys", [])]
        assert header.get("kid") in kids, f"kid {header.get('kid')} not in {kids}"
        return f"{len(kids)} key(s), kid {header.get('kid')} found, no apikey sent"

    def forged() -> str:
        claims = dict(owner.claims)
        for secret in BUILT_IN_SECRETS:
            forgery = jwt.encode(claims, secret.ljust(32, "x"), algorithm="HS256")
            expect(InvalidToken, lambda f=forgery: verifier.verify(f))
            answer = httpx.get(f"{cfg.supabase_url}/auth/v1/user", timeout=10,
                               headers={"apikey": str(env("SUPABASE_TEST_ANON_KEY")),
                                        "Authorization": f"Bearer {forgery}"})  # fmt: skip
            assert answer.status_code in (401, 403), f"Auth accepted a forgery ({secret[:6]}…)"
        return f"{len(BUILT_IN_SECRETS)} built-in secrets refused by us and by Auth"

    def worker() -> str:
        if not (cfg.supabase_service_key and cfg.database_url):
            raise SkipCheck("set SUPABASE_TEST_SECRET_KEY and SUPABASE_TEST_DATABASE_URL")
        from core.db.engine import make_engine

        engine = make_engine(cfg)
        try:
            worker_store = SupabaseFileStore(cfg, engine=engine)
            stored = store.put(client_id, "smoke.pdf", PDF, "application/pdf", owner)
            try:
                assert worker_store.get(stored.key, worker_user(owner.id)) == PDF
                outsider = worker_user(uuid.uuid4())
                expect(NotFound, lambda: worker_store.get(stored.key, outsider))
            finally:
                store.delete(stored.key, owner)
        finally:
            engine.dispose()
        kind = "sb_secret_" if cfg.supabase_service_key.get_secret_value().startswith("sb_") else (
            "legacy service_role"
        )  # fmt: skip
        return f"read as the uploader after the RLS check, with the {kind} key; stranger refused"

    def signup() -> str:
        address = env("SUPABASE_TEST_SIGNUP_EMAIL")
        if not address:
            raise SkipCheck("set SUPABASE_TEST_SIGNUP_EMAIL (a mailbox you own; mail is sent)")
        local, _, domain = address.partition("@")
        fresh = f"{local}+smoke{int(time.time())}@{domain}"
        password = f"smoke-{uuid.uuid4().hex}"
        result = auth.sign_up(fresh, password)
        assert result.state == "confirm_email", "Confirm email is off (deploy guide 2.4)"
        again = auth.sign_up(fresh, f"smoke-{uuid.uuid4().hex}")
        assert again.state == "confirm_email"
        # GoTrue checks the password first, then the confirmation.
        expect(ConfirmationRequired, lambda: auth.sign_in(fresh, password))
        return "confirm_email for new and taken address alike; sign-in waits for the link"

    def refresh() -> str:
        session = auth.sign_in(str(env("SUPABASE_TEST_EMAIL")), str(env("SUPABASE_TEST_PASSWORD")))
        rotated = auth.refresh(session.refresh_token)
        again = auth.refresh(session.refresh_token)  # the previous token: the current session
        assert again.refresh_token == rotated.refresh_token
        auth.sign_out(rotated.access_token)
        expect(InvalidToken, lambda: auth.refresh(rotated.refresh_token))
        return "previous token gives the current session; after sign-out: not found"

    def roles() -> str:
        viewer, outsider = (
            sign_in(auth, "SUPABASE_TEST_VIEWER"),
            sign_in(auth, "SUPABASE_TEST_OUTSIDER"),
        )
        stored = store.put(client_id, "roles.pdf", PDF, "application/pdf", owner)
        done = ["owner: upload"]
        try:
            assert store.get(stored.key, owner) == PDF
            assert httpx.get(store.signed_url(stored.key, owner, 60), timeout=10).content == PDF
            done.append("owner: download, sign")
            if viewer is not None:
                assert store.get(stored.key, viewer) == PDF
                store.signed_url(stored.key, viewer, 60)
                expect(
                    Forbidden, lambda: store.put(client_id, "v.pdf", PDF, "application/pdf", viewer)
                )
                expect(Forbidden, lambda: store.delete(stored.key, viewer))
                done.append("viewer: reads, may not write or delete")
            if outsider is not None:
                expect(NotFound, lambda: store.get(stored.key, outsider))
                expect(NotFound, lambda: store.signed_url(stored.key, outsider, 60))
                expect(
                    Forbidden,
                    lambda: store.put(client_id, "o.pdf", PDF, "application/pdf", outsider),
                )
                expect(NotFound, lambda: store.delete(stored.key, outsider))
                done.append("outsider: sees and writes nothing")
        finally:
            store.delete(stored.key, owner)
        done.append("owner: delete")
        if viewer is None or outsider is None:
            done.append("(viewer/outsider not configured: their cases skipped)")
        return "; ".join(done)

    def bad_tokens() -> str:
        stored = store.put(client_id, "tokens.pdf", PDF, "application/pdf", owner)
        forged_token = jwt.encode(dict(owner.claims), "not-the-project-secret-0123456789abcdef",
                                  algorithm="HS256")  # fmt: skip
        forged_user = CurrentUser(owner.id, owner.email, owner.role, owner.claims, forged_token)
        notes = []
        try:
            expect(
                InvalidToken,
                lambda: store.put(client_id, "f.pdf", PDF, "application/pdf", forged_user),
            )
            expect(InvalidToken, lambda: store.signed_url(stored.key, forged_user, 60))
            expect(NotFound, lambda: store.get(stored.key, forged_user))  # anon on downloads
            notes.append("forged: upload/sign refused, download anonymous")
            secret = env("SUPABASE_TEST_JWT_SECRET")
            if secret:
                now = int(time.time())
                expired_claims = {**owner.claims, "iat": now - 7200, "exp": now - 3600}
                expired = jwt.encode(expired_claims, secret, algorithm="HS256")
                answer = httpx.post(
                    f"{cfg.supabase_url}/storage/v1/object/sign/{store.bucket}/{stored.key}",
                    json={"expiresIn": 60}, timeout=10,
                    headers={"apikey": str(env("SUPABASE_TEST_ANON_KEY")),
                             "Authorization": f"Bearer {expired}"},
                )  # fmt: skip
                body: dict[str, Any] = answer.json()
                assert body.get("statusCode") in ("400", "403"), body
                expired_user = CurrentUser(owner.id, owner.email, owner.role, expired_claims,
                                           expired)  # fmt: skip
                expect(TokenExpired, lambda: store.get(stored.key, expired_user))
                notes.append(f"expired: Storage says {body.get('message')!r}, we say expired")
            else:
                notes.append("expired: skipped (needs SUPABASE_TEST_JWT_SECRET to mint one)")
        finally:
            store.delete(stored.key, owner)
        return "; ".join(notes)

    for name, fn in (
        ("token header and claims", token_claims),
        ("JWKS without apikey", jwks),
        ("forged tokens", forged),
        ("worker reads a file", worker),
        ("sign-up with confirmation", signup),
        ("refresh reuse and sign-out", refresh),
        ("storage as owner/viewer/outsider", roles),
        ("expired and forged tokens on storage", bad_tokens),
    ):
        check(name, fn)
    failed = results.count("FAIL")
    print(f"{results.count('PASS')} passed, {failed} failed, {results.count('SKIP')} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InvoiceFlowError as exc:
        print(f"FAIL  setup: {type(exc).__name__}: {exc}")
        sys.exit(1)
