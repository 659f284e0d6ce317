"""API keys through HTTP (issue 17, item 1): owners create, list and revoke them; a key acts as a
member of its one client with its role, in the API and in the workers, and is refused at once
when revoked or expired."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.main import create_app
from core.bootstrap import build_services
from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import sign_up, wait_for_batch

pytestmark = pytest.mark.security


def _client(http, owner, name="Keyed GmbH") -> str:
    return http.post("/clients", json={"name": name}, headers=owner).json()["id"]


def _key(http, owner, cid, role="operator", **extra) -> dict:
    r = http.post(
        f"/clients/{cid}/api-keys", json={"name": f"{role} key", "role": role, **extra},
        headers=owner,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_is_shown_once_listed_without_secret_and_acts_as_a_member(http, engine):
    owner = sign_up(http)
    cid = _client(http, owner)
    created = _key(http, owner, cid, "operator")
    key = created["key"]
    assert key.startswith(created["prefix"] + "_") and created["prefix"].startswith("ifk_")
    assert created["status"] == "active" and created["role"] == "operator"

    listing = http.get(f"/clients/{cid}/api-keys", headers=owner).json()
    assert listing["count"] == 1
    row = listing["data"][0]
    assert "key" not in row and key not in str(listing) and row["last_used_at"] is None
    with engine.connect() as conn:  # only the hash is stored
        stored = conn.execute(
            text("select key_hash from public.api_keys where id = :i"), {"i": created["id"]}
        ).scalar_one()
    assert key not in stored and len(stored) == 64

    me = http.get("/auth/me", headers=_bearer(key)).json()
    assert me["email"] is None
    clients = http.get("/clients", headers=_bearer(key)).json()["data"]
    assert [(c["id"], c["role"]) for c in clients] == [(cid, "operator")]
    used = http.get(f"/clients/{cid}/api-keys", headers=owner).json()["data"][0]
    assert used["last_used_at"] is not None

    # A key manages no keys, creates no clients and has no session to sign out of.
    assert http.get(f"/clients/{cid}/api-keys", headers=_bearer(key)).status_code == 403
    assert http.post(
        f"/clients/{cid}/api-keys", json={"name": "x", "role": "viewer"}, headers=_bearer(key)
    ).status_code == 403  # fmt: skip
    assert http.post("/clients", json={"name": "Mine"}, headers=_bearer(key)).status_code == 403
    assert http.post("/auth/sign-out", headers=_bearer(key)).status_code == 403
    # ... nor can it make itself an owner through the members endpoint.
    r = http.put(
        f"/clients/{cid}/members", json={"user_id": me["id"], "role": "owner"},
        headers=_bearer(key),
    )  # fmt: skip
    assert r.status_code in (403, 404)
    assert r.headers["content-type"] == "application/problem+json"


def test_owner_role_and_past_expiry_are_refused(http):
    owner = sign_up(http)
    cid = _client(http, owner)
    for body in (
        {"name": "k", "role": "owner"},
        {"name": "k", "role": "operator", "expires_at": "2020-01-01T00:00:00Z"},
        {"name": " ", "role": "viewer"},
    ):
        r = http.post(f"/clients/{cid}/api-keys", json=body, headers=owner)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"


def test_non_owners_cannot_manage_keys(http):
    owner = sign_up(http)
    cid = _client(http, owner)
    operator_key = _key(http, owner, cid, "operator")["key"]
    outsider = sign_up(http)
    for headers, expected in ((outsider, 404), (_bearer(operator_key), 403)):
        assert http.get(f"/clients/{cid}/api-keys", headers=headers).status_code == expected
    victim = _key(http, owner, cid, "viewer")
    r = http.delete(f"/clients/{cid}/api-keys/{victim['id']}", headers=outsider)
    assert r.status_code == 404
    assert http.get("/auth/me", headers=_bearer(victim["key"])).status_code == 200


def test_a_key_of_client_a_sees_nothing_of_client_b(http):
    owner_a, owner_b = sign_up(http), sign_up(http)
    cid_a, cid_b = _client(http, owner_a, "A GmbH"), _client(http, owner_b, "B GmbH")
    doc = generate_invoice(31, kind="pdf")
    up = http.post(
        f"/clients/{cid_b}/uploads", files=[("files", (doc.filename, doc.data, "application/pdf"))],
        headers=owner_b,
    ).json()  # fmt: skip
    inv_b = up["files"][0]["invoice_id"]
    key_b = _key(http, owner_b, cid_b, "viewer")
    key_a = _bearer(_key(http, owner_a, cid_a, "operator")["key"])
    assert http.get(f"/clients/{cid_b}", headers=key_a).status_code == 404
    assert http.get(f"/invoices/{inv_b}", headers=key_a).status_code == 404
    tagged = {**key_a, "If-Match": '"v1"'}  # a well-formed tag: the door, not the 428, answers
    assert http.post(f"/invoices/{inv_b}/approve", headers=tagged).status_code == 404
    assert http.get("/invoices", params={"client_id": cid_b}, headers=key_a).status_code in (
        403, 404
    )  # fmt: skip
    assert http.delete(f"/clients/{cid_b}/api-keys/{key_b['id']}", headers=key_a).status_code in (
        403, 404
    )  # fmt: skip
    assert http.delete(f"/clients/{cid_a}/api-keys/{key_b['id']}", headers=owner_a).status_code == (
        404
    )  # fmt: skip
    r = http.post(
        f"/clients/{cid_b}/uploads", files=[("files", (doc.filename, doc.data, "application/pdf"))],
        headers=key_a,
    )  # fmt: skip
    assert r.status_code == 404


def test_a_viewer_key_reads_but_cannot_write(http):
    owner = sign_up(http)
    cid = _client(http, owner)
    doc = generate_invoice(32, kind="pdf")
    up = http.post(
        f"/clients/{cid}/uploads", files=[("files", (doc.filename, doc.data, "application/pdf"))],
        headers=owner,
    ).json()  # fmt: skip
    inv = up["files"][0]["invoice_id"]
    viewer = _bearer(_key(http, owner, cid, "viewer")["key"])
    got = http.get(f"/invoices/{inv}", headers=viewer)
    assert got.status_code == 200
    approve = http.post(
        f"/invoices/{inv}/approve", headers={**viewer, "If-Match": got.headers["etag"]}
    )
    assert approve.status_code == 403, approve.text
    r = http.post(
        f"/clients/{cid}/uploads", files=[("files", (doc.filename, doc.data, "application/pdf"))],
        headers=viewer,
    )  # fmt: skip
    assert r.status_code == 403


def test_a_key_approving_meets_the_approval_policy_as_a_person_does(http, engine):
    """The approval policy (issue 13) holds for keys: If-Match, 409 approval_blocked with the
    reasons, an override only for the roles the policy names, audited with the key's principal."""
    owner = sign_up(http)
    cid = _client(http, owner, "Policy Keys GmbH")
    with engine.begin() as conn:  # in review, no vendor chosen: the default policy blocks it
        inv = conn.execute(
            text("insert into public.invoices (client_id, status, total, currency, vendor_name)"
                 " values (:c, 'needs_review', 10, 'EUR', 'Unknown Supplies') returning id"),
            {"c": cid},
        ).scalar_one()  # fmt: skip
    created = _key(http, owner, cid, "operator")
    key = _bearer(created["key"])
    url = f"/invoices/{inv}/approve"
    tag = http.get(f"/invoices/{inv}", headers=key).headers["etag"]

    assert http.post(url, headers=key).status_code == 428
    blocked = http.post(url, headers={**key, "If-Match": tag})
    assert blocked.status_code == 409, blocked.text
    assert blocked.json()["code"] == "approval_blocked"
    assert "vendor.unknown" in [e["code"] for e in blocked.json()["errors"]]
    override = {"override_reason": "supplier confirmed in the ERP"}
    denied = http.post(url, json=override, headers={**key, "If-Match": tag})
    assert denied.status_code == 403, denied.text  # the default policy: owners override

    r = http.post(
        f"/clients/{cid}/approval-policies",
        json={"policy": {"override_roles": ["owner", "operator"]}, "activate": True},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    assert http.post(url, headers={**key, "If-Match": tag}).status_code == 409  # still blocked
    done = http.post(url, json=override, headers={**key, "If-Match": tag})
    assert done.status_code == 200 and done.json()["status"] == "approved", done.text
    audit = http.get(f"/invoices/{inv}/audit", headers=owner).json()["data"]
    event = next(e for e in audit if e["action"] == "approval.overridden")
    with engine.connect() as conn:
        principal = conn.execute(
            text("select principal_id from public.api_keys where id = :i"), {"i": created["id"]}
        ).scalar_one()
    assert event["actor_id"] == str(principal)
    assert event["meta"]["reason"] == "supplier confirmed in the ERP"


def test_revoked_and_expired_keys_get_401_on_their_next_request(http, engine):
    owner = sign_up(http)
    cid = _client(http, owner)
    created = _key(http, owner, cid, "operator")
    key = _bearer(created["key"])
    assert http.get(f"/clients/{cid}", headers=key).status_code == 200
    assert http.delete(f"/clients/{cid}/api-keys/{created['id']}", headers=owner).status_code == 204
    r = http.get(f"/clients/{cid}", headers=key)  # the very next request
    assert r.status_code == 401 and r.json()["code"] == "invalid_api_key"
    assert created["key"] not in r.text
    row = http.get(f"/clients/{cid}/api-keys", headers=owner).json()["data"][0]
    assert row["status"] == "revoked" and row["revoked_at"]
    again = http.delete(f"/clients/{cid}/api-keys/{created['id']}", headers=owner)
    assert again.status_code == 409

    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)).isoformat()
    expiring = _key(http, owner, cid, "viewer", expires_at=soon)
    assert http.get(f"/clients/{cid}", headers=_bearer(expiring["key"])).status_code == 200
    time.sleep(2.5)
    r = http.get(f"/clients/{cid}", headers=_bearer(expiring["key"]))
    assert r.status_code == 401 and r.json()["code"] == "invalid_api_key"
    row = next(
        k for k in http.get(f"/clients/{cid}/api-keys", headers=owner).json()["data"]
        if k["id"] == expiring["id"]
    )  # fmt: skip
    assert row["status"] == "expired"

    # Tampered or unknown keys are 401 too, and no audit of them leaks the key.
    forged = created["key"][:-4] + "AAAA"
    assert http.get("/auth/me", headers=_bearer(forged)).status_code == 401
    assert http.get("/auth/me", headers=_bearer("ifk_nonsense")).status_code == 401
    with engine.connect() as conn:
        audit = conn.execute(
            text("select action, coalesce(after, before)::text from public.audit_events"
                 " where client_id = :c and action like 'api_key.%'"),
            {"c": cid},
        ).all()  # fmt: skip
    actions = [a for a, _ in audit]
    assert actions.count("api_key.created") == 2 and actions.count("api_key.revoked") == 1
    # The worker's housekeeping may already have swept the expired key (it audits that); the
    # tampered and unknown keys left no event of their own.
    assert set(actions) <= {"api_key.created", "api_key.revoked", "api_key.expired"}
    assert actions.count("api_key.expired") <= 1
    assert all(created["key"] not in blob for _, blob in audit)


def test_jobs_queued_by_a_key_run_as_its_principal(http, worker, engine):
    owner = sign_up(http)
    cid = _client(http, owner)
    created = _key(http, owner, cid, "operator")
    key = _bearer(created["key"])
    principal = http.get("/auth/me", headers=key).json()["id"]
    docs = [generate_invoice(seed, kind="pdf") for seed in (41, 42)]
    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", (d.filename, d.data, "application/pdf")) for d in docs],
        headers=key,
    )
    assert r.status_code == 201, r.text
    progress = wait_for_batch(http, key, r.json()["batch_id"])
    assert progress["processed"] == 2
    listing = http.get("/invoices", params={"client_id": cid}, headers=key).json()
    assert {i["status"] for i in listing["data"]} <= {"needs_review", "approved"}
    inv = listing["data"][0]["id"]
    got = http.get(f"/invoices/{inv}", headers=owner)
    detail = got.json()
    with engine.connect() as conn:  # the worker acted as the uploader: the key's principal
        actors = conn.execute(
            text("select distinct i.created_by::text, a.actor_id::text from public.invoices i"
                 " join public.audit_events a on a.invoice_id = i.id"
                 " where i.client_id = :c and a.action like 'status.%'"),
            {"c": cid},
        ).all()  # fmt: skip
    assert actors and all(row == (principal, principal) for row in actors), actors
    if detail["status"] == "needs_review":  # a decision stamps the key's principal (a
        # rejection: the approval policy blocks approving here, no vendor list)
        rejected = http.post(f"/invoices/{inv}/reject", json={"reason": "not ours"},
                             headers={**key, "If-Match": got.headers["etag"]})  # fmt: skip
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["reviewed_by"] == principal


def test_rate_limits_count_per_key_and_keys_never_reach_the_logs(api_settings, engine, caplog):
    settings = api_settings.model_copy(
        update={"api_rate_limit": "1000/minute", "api_rate_limit_ip": "1000/minute",
                "api_rate_limit_key": "3/minute"}
    )  # fmt: skip
    services = build_services(settings, engine=engine)
    try:
        app = create_app(settings, services=services)
        caplog.set_level(logging.DEBUG)
        with TestClient(app, base_url="http://testserver/api/v1") as client:
            owner = sign_up(client)
            cid = _client(client, owner)
            first, second = (_key(client, owner, cid, "viewer")["key"] for _ in range(2))
            codes = [client.get("/auth/me", headers=_bearer(first)).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            # the other key of the same client has its own budget; the owner is not limited
            assert client.get("/auth/me", headers=_bearer(second)).status_code == 200
            assert client.get("/auth/me", headers=owner).status_code == 200
    finally:
        services.close()
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert first not in logged and second not in logged
