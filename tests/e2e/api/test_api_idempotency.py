"""Idempotency-Key on POST and PATCH with Stripe's semantics (issue 17, item 3), through HTTP on the
real app and database: replay, 422 on reuse with another request, 409 while in flight, per caller,
24 hours, swept."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.main import create_app
from core.auth.models import CurrentUser
from core.bootstrap import build_services
from core.demo.synthetic_invoices import generate_invoice
from core.errors import IdempotencyInFlight, IdempotencyKeyReused
from core.workflow import idempotency
from tests.e2e.api.conftest import sign_up, wait_for_batch


def _k() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


def test_the_same_key_and_request_replays_the_first_response(http, engine):
    owner = sign_up(http)
    key = _k()
    first = http.post("/clients", json={"name": "Once GmbH"}, headers={**owner, **key})
    again = http.post("/clients", json={"name": "Once GmbH"}, headers={**owner, **key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["content-type"] == first.headers["content-type"]
    # JSON compared as JSON: key order and spacing do not make it another request
    spaced = http.post(
        "/clients", content=b'{ "name" :  "Once GmbH" }',
        headers={**owner, **key, "Content-Type": "application/json"},
    )  # fmt: skip
    assert spaced.status_code == 201 and spaced.json()["id"] == first.json()["id"]
    names = [c["name"] for c in http.get("/clients", headers=owner).json()["data"]]
    assert names.count("Once GmbH") == 1

    other = http.post("/clients", json={"name": "Another AG"}, headers={**owner, **key})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert other.headers["content-type"] == "application/problem+json"
    elsewhere = http.post(f"/clients/{first.json()['id']}/api-keys",
                          json={"name": "Once GmbH"}, headers={**owner, **key})  # fmt: skip
    assert elsewhere.status_code == 422  # another path is another request


def test_keys_are_per_caller(http):
    alice, bob = sign_up(http), sign_up(http)
    key = _k()
    a = http.post("/clients", json={"name": "Shared Key"}, headers={**alice, **key})
    b = http.post("/clients", json={"name": "Shared Key"}, headers={**bob, **key})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"] and "idempotent-replayed" not in b.headers


def test_a_multipart_upload_sent_twice_makes_one_batch(http, engine):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Upload Twice"}, headers=owner).json()["id"]
    doc = generate_invoice(51, kind="pdf")
    key = _k()
    files = [("files", (doc.filename, doc.data, "application/pdf"))]
    first = http.post(f"/clients/{cid}/uploads", files=files, headers={**owner, **key})
    again = http.post(
        f"/clients/{cid}/uploads", files=files, headers={**owner, **key}
    )  # new boundary
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert first.json()["files"][0]["status"] == "accepted"
    with engine.connect() as conn:
        batches = conn.execute(
            text("select count(*) from public.batches where client_id = :c"), {"c": cid}
        ).scalar_one()
    assert batches == 1
    other = generate_invoice(52, kind="pdf")
    other_files = [("files", (other.filename, other.data, "application/pdf"))]
    changed = http.post(f"/clients/{cid}/uploads", files=other_files, headers={**owner, **key})
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"


def test_patch_replays_with_its_etag_and_errors_are_replayed_too(http, worker):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Patchy"}, headers=owner).json()["id"]
    doc = generate_invoice(53, kind="pdf")
    up = http.post(
        f"/clients/{cid}/uploads", files=[("files", (doc.filename, doc.data, "application/pdf"))],
        headers=owner,
    ).json()  # fmt: skip
    inv = up["files"][0]["invoice_id"]
    wait_for_batch(http, owner, up["batch_id"])
    tag = http.get(f"/invoices/{inv}", headers=owner).headers["etag"]
    key = _k()
    body = {"invoice_number": "IDEM-1"}
    first = http.patch(f"/invoices/{inv}", json=body, headers={**owner, **key, "If-Match": tag})
    assert first.status_code == 200, first.text
    again = http.patch(f"/invoices/{inv}", json=body, headers={**owner, **key, "If-Match": tag})
    assert again.status_code == 200 and again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    # the stored success came back although the tag is stale now: another change with it is
    # a conflict
    assert http.patch(f"/invoices/{inv}", json={"invoice_number": "IDEM-2"},
                      headers={**owner, "If-Match": tag}).status_code == 409  # fmt: skip
    missing = {**_k(), "If-Match": '"v1"'}
    gone = http.post(f"/invoices/{uuid.uuid4()}/approve", headers={**owner, **missing})
    gone_again = http.post(f"/invoices/{uuid.uuid4()}/approve", headers={**owner, **missing})
    assert gone.status_code == 404 and gone_again.status_code == 422  # another path
    replay = http.post(gone.request.url.path.removeprefix("/api/v1"),
                       headers={**owner, **missing})  # fmt: skip
    assert replay.status_code == 404 and replay.headers["idempotent-replayed"] == "true"


def _problem(r: httpx.Response) -> dict[str, object]:
    """The problem body but its request id (each request has its own)."""
    return {k: v for k, v in r.json().items() if k != "request_id"}


def test_auth_and_rate_limit_errors_answer_alike_with_and_without_a_key(api_settings, engine):
    """A 401 kept under a key is replayed with its WWW-Authenticate, and a 429 through the
    middleware carries Retry-After, exactly as the answers without a key."""
    settings = api_settings.model_copy(
        update={"api_rate_limit": "4/hour", "api_rate_limit_ip": "1000/hour"}
    )
    services = build_services(settings, engine=engine)
    try:
        app = create_app(settings, services=services)
        with TestClient(app, base_url="http://testserver/api/v1") as client:
            owner = sign_up(client)  # no bearer yet: the per-user budget is untouched
            wrong = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.test", "password": "n0pe"}
            plain = client.post("/auth/sign-in", json=wrong, headers=owner)  # user hit 1
            key = {**owner, **_k()}
            first = client.post("/auth/sign-in", json=wrong, headers=key)  # user hit 2
            replay = client.post("/auth/sign-in", json=wrong, headers=key)  # not run again
            assert plain.status_code == first.status_code == replay.status_code == 401
            assert replay.headers["idempotent-replayed"] == "true"
            for r in (first, replay):
                assert r.headers["www-authenticate"] == plain.headers["www-authenticate"]
                assert r.headers["content-type"] == "application/problem+json"
                assert _problem(r) == _problem(plain)

            codes = [client.get("/auth/me", headers=owner).status_code for _ in range(3)]
            assert codes == [200, 200, 429]  # hits 3 and 4 pass, 5 is over
            limited = client.post("/auth/sign-in", json=wrong, headers=owner)
            keyed = client.post("/auth/sign-in", json=wrong, headers={**owner, **_k()})
            assert limited.status_code == keyed.status_code == 429
            assert "idempotent-replayed" not in keyed.headers
            for r in (limited, keyed):
                assert 1 <= int(r.headers["retry-after"]) <= 3600
                assert r.json()["code"] == "rate_limited"
            assert _problem(keyed) == _problem(limited)
    finally:
        services.close()


def test_bad_keys_and_anonymous_requests(http):
    owner = sign_up(http)
    for bad in ("", "x" * 256, "with space", "ümlaut"):
        r = http.post(
            "/clients", json={"name": "x"},
            headers={**owner, "Idempotency-Key": bad.encode("utf-8")},
        )  # fmt: skip
        assert r.status_code == 422, (bad, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
    # without credentials the key changes nothing: the route answers 401 as always
    r = http.post("/clients", json={"name": "x"}, headers=_k())
    assert r.status_code == 401
    gets = http.get("/clients", headers={**owner, **_k()})
    assert gets.status_code == 200 and "idempotent-replayed" not in gets.headers


def test_in_flight_conflict_reuse_and_the_24_hour_sweep(engine, test_settings, make_user):
    class _Services:
        def __init__(self) -> None:
            self.engine, self.settings = engine, test_settings

    services = _Services()
    person = make_user()
    user = CurrentUser(id=person.id, email=person.email, role="authenticated",
                       claims=person.claims, access_token="")  # fmt: skip
    args = {"services": services, "user": user, "key": "k-1", "method": "POST", "path": "/x"}
    assert idempotency.begin(fingerprint="a" * 64, **args) is None  # holds the key now
    with pytest.raises(IdempotencyInFlight):
        idempotency.begin(fingerprint="a" * 64, **args)
    with pytest.raises(IdempotencyKeyReused):
        idempotency.begin(fingerprint="b" * 64, **args)
    idempotency.remember(services=services, user=user, key="k-1", status_code=201,
                         headers=[("content-type", "application/json")], body=b"{}")  # fmt: skip
    held = idempotency.begin(fingerprint="a" * 64, **args)
    assert held is not None and (held.status_code, held.body) == (201, b"{}")
    # a 5xx releases the key: the retry runs again
    assert idempotency.begin(fingerprint="c" * 64, **{**args, "key": "k-2"}) is None
    idempotency.forget(services=services, user=user, key="k-2")
    assert idempotency.begin(fingerprint="d" * 64, **{**args, "key": "k-2"}) is None
    with engine.begin() as conn:
        conn.execute(
            text("update public.idempotency_keys set expires_at = now() - interval '1 second'"
                 " where principal_id = :u and key = 'k-1'"),
            {"u": person.id},
        )  # fmt: skip
    assert idempotency.sweep(services=services) >= 1
    # after expiry the key is free for any request
    assert idempotency.begin(fingerprint="e" * 64, **args) is None


def test_openapi_documents_the_header_on_every_post_and_patch(http):
    schema = http.get("/../../openapi.json").json()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("post", "patch"):
                names = [p["name"] for p in op.get("parameters", [])]
                assert "Idempotency-Key" in names, (method, path)
