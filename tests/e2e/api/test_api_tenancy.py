"""Cross-tenant attempts on every endpoint: another client's ids give 404/403, never data."""

from __future__ import annotations

import uuid

import pytest

from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import sign_up, wait_for_batch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def victim(api_server, worker):
    import httpx

    with httpx.Client(base_url=api_server + "/api/v1", timeout=60) as http:
        headers = sign_up(http)
        cid = http.post("/clients", json={"name": "Victim AG"}, headers=headers).json()["id"]
        http.post(
            f"/clients/{cid}/reference/vendors",
            files={"file": ("v.csv", b"name\nSecret Vendor GmbH\n", "text/csv")},
            headers=headers,
        )
        for kind, rows in (
            ("purchase_orders", b"po_number,line_no,description,amount\nPO-SECRET,1,Bolts,9\n"),
            (
                "goods_receipts",
                b"receipt_number,po_number,line_no,quantity\nGR-SECRET,PO-SECRET,1,1\n",
            ),
        ):
            r = http.post(
                f"/clients/{cid}/reference/{kind}",
                files={"file": (f"{kind}.csv", rows, "text/csv")},
                headers=headers,
            )
            assert r.status_code == 200 and r.json()["created"] == 1, r.text
        key = http.post(f"/clients/{cid}/api-keys", json={"name": "erp", "role": "operator"},
                        headers=headers).json()  # fmt: skip
        hook = http.post(
            f"/clients/{cid}/webhooks",
            json={"url": "https://erp.example.com/hooks", "event_types": ["invoice.processed"]},
            headers=headers,
        ).json()
        box = http.post(
            f"/clients/{cid}/mailboxes",
            json={"name": "AP", "host": "127.0.0.1", "port": 9, "security": "none",
                  "username": "ap@victim.test", "password": "victim-imap-password",
                  "poll_interval_seconds": 86400},
            headers=headers,
        ).json()  # fmt: skip
        doc = generate_invoice(77, kind="pdf")
        up = http.post(
            f"/clients/{cid}/uploads",
            files=[("files", (doc.filename, doc.data, "application/pdf"))],
            headers=headers,
        ).json()
        wait_for_batch(http, headers, up["batch_id"])
        inv_id = up["files"][0]["invoice_id"]
        inv = http.get(f"/invoices/{inv_id}", headers=headers).json()
        assert inv["matches"], (inv["status"], inv["failure_reason"])
        match_id = inv["matches"][0]["id"]
        url = http.get(f"/invoices/{inv_id}/file-url", headers=headers).json()["url"]
        profile = http.post(
            f"/clients/{cid}/match-profiles", json={"profile": {"name": "p"}}, headers=headers
        )
        assert profile.status_code == 201, profile.text
        deliveries = http.get(f"/clients/{cid}/webhook-deliveries", headers=headers).json()
        export_job = http.post("/export-jobs", params={"client_id": cid}, headers=headers).json()
        return {
            "key": key["id"],
            "hook": hook["id"],
            "box": box["id"],
            "delivery": deliveries["data"][0]["id"],
            "export_job": export_job["id"],
            "client": cid,
            "invoice": inv_id,
            "match": match_id,
            "batch": up["batch_id"],
            "url": url,
            "secret": doc.truth["invoice_number"],
        }


def _attempts(v):
    c, i, m, b = v["client"], v["invoice"], v["match"], v["batch"]
    csv_file = {"file": ("v.csv", b"name\nX\n", "text/csv")}
    pdf = generate_invoice(78, kind="pdf").data
    return [
        ("GET", f"/clients/{c}", {}),
        ("GET", f"/clients/{c}/members", {}),
        ("PUT", f"/clients/{c}/members", {"json": {"role": "owner", "user_id": str(uuid.uuid4())}}),
        ("DELETE", f"/clients/{c}/members/{uuid.uuid4()}", {}),
        ("POST", f"/clients/{c}/invitations", {"json": {"email": "a@b.test", "role": "owner"}}),
        ("GET", f"/clients/{c}/invitations", {}),
        ("DELETE", f"/clients/{c}/invitations/{uuid.uuid4()}", {}),
        ("POST", f"/invitations/{uuid.uuid4()}/accept", {}),
        ("POST", f"/invitations/{uuid.uuid4()}/decline", {}),
        ("GET", f"/clients/{c}/batches", {}),
        ("GET", f"/batches/{b}", {}),
        (
            "POST",
            f"/clients/{c}/uploads",
            {"files": [("files", ("x.pdf", pdf, "application/pdf"))]},
        ),
        ("POST", f"/clients/{c}/reference/vendors", {"files": csv_file}),
        ("GET", f"/clients/{c}/vendors", {}),
        ("GET", f"/clients/{c}/purchase-orders", {}),
        ("GET", f"/clients/{c}/goods-receipts", {}),
        ("GET", f"/clients/{c}/goods-receipts", {"params": {"po_number": "PO-SECRET"}}),
        ("GET", f"/clients/{c}/match-profiles", {}),
        ("POST", f"/clients/{c}/match-profiles", {"json": {"profile": {"name": "evil"}}}),
        ("POST", f"/clients/{c}/match-profiles/1/activate", {}),
        ("GET", "/invoices", {"params": {"client_id": c}}),
        ("GET", f"/invoices/{i}", {}),
        ("PATCH", f"/invoices/{i}", {"json": {"version": 1, "invoice_number": "pwned"}}),
        ("POST", f"/invoices/{i}/approve", {"json": {"version": 1}}),
        ("POST", f"/invoices/{i}/approve", {"json": {"version": 1, "override_reason": "pwned"}}),
        ("POST", f"/invoices/{i}/reject", {"json": {"version": 1, "reason": "x"}}),
        ("GET", f"/invoices/{i}/approval", {}),
        ("POST", f"/invoices/{i}/rematch", {"json": {"version": 1}}),
        ("POST", f"/invoices/{i}/vendor", {"json": {"version": 1, "name": "Evil", "force": True}}),
        ("GET", f"/clients/{c}/approval-policies", {}),
        (
            "POST",
            f"/clients/{c}/approval-policies",
            {"json": {"policy": {"blocks": []}, "activate": True}},
        ),
        ("POST", f"/clients/{c}/approval-policies/1/activate", {}),
        ("POST", "/exports/mark-exported", {"json": {"invoice_ids": [i]}}),
        ("POST", f"/invoices/{i}/reopen", {}),
        ("POST", f"/invoices/{i}/retry", {}),
        ("GET", f"/invoices/{i}/lines", {}),
        ("GET", f"/invoices/{i}/matches", {}),
        ("GET", f"/invoices/{i}/audit", {}),
        ("GET", f"/invoices/{i}/file", {}),
        ("GET", f"/invoices/{i}/file-url", {}),
        ("GET", f"/invoices/{i}/einvoice", {"params": {"format": "ubl"}}),
        ("GET", f"/invoices/{i}/einvoice", {"params": {"format": "cii"}}),
        ("POST", f"/matches/{m}/confirm", {}),
        ("POST", f"/matches/{m}/override", {"json": {"vendor_id": str(uuid.uuid4())}}),
        ("POST", f"/matches/{m}/reject", {}),
        ("GET", "/exports", {"params": {"client_id": c, "format": "json"}}),
        ("GET", "/exports", {"params": {"client_id": c, "format": "xero_bills"}}),
        ("GET", f"/clients/{c}/api-keys", {}),
        ("POST", f"/clients/{c}/api-keys", {"json": {"name": "x", "role": "operator"}}),
        ("DELETE", f"/clients/{c}/api-keys/{v['key']}", {}),
        ("GET", f"/clients/{c}/webhooks", {}),
        (
            "POST",
            f"/clients/{c}/webhooks",
            {"json": {"url": "https://evil.example.com/", "event_types": ["invoice.approved"]}},
        ),
        ("PATCH", f"/clients/{c}/webhooks/{v['hook']}", {"json": {"rotate_secret": True}}),
        ("DELETE", f"/clients/{c}/webhooks/{v['hook']}", {}),
        ("GET", f"/clients/{c}/webhook-deliveries", {}),
        ("GET", f"/clients/{c}/webhook-deliveries/{v['delivery']}", {}),
        ("POST", f"/clients/{c}/webhook-deliveries/{v['delivery']}/redeliver", {}),
        ("GET", f"/clients/{c}/mailboxes", {}),
        (
            "POST",
            f"/clients/{c}/mailboxes",
            {"json": {"name": "x", "host": "127.0.0.1", "username": "u", "password": "p"}},
        ),
        ("PATCH", f"/clients/{c}/mailboxes/{v['box']}", {"json": {"host": "127.0.0.2"}}),
        ("DELETE", f"/clients/{c}/mailboxes/{v['box']}", {}),
        ("GET", f"/clients/{c}/mailboxes/{v['box']}/messages", {}),
        ("POST", "/export-jobs", {"params": {"client_id": c}}),
        ("GET", f"/export-jobs/{v['export_job']}", {}),
        ("GET", f"/export-jobs/{v['export_job']}/file", {}),
        ("GET", f"/invoices/{i}/split", {}),
        ("POST", f"/invoices/{i}/resplit", {"json": {"parts": [[1, 1]]}}),
        ("DELETE", f"/invoices/{i}", {}),
    ]


def test_another_clients_user_gets_404_or_403_and_never_data(http, victim):
    attacker = sign_up(http)
    own = http.post("/clients", json={"name": "Attacker Ltd"}, headers=attacker).json()["id"]
    attacker_key = http.post(f"/clients/{own}/api-keys", json={"name": "k", "role": "operator"},
                             headers=attacker).json()["key"]  # fmt: skip
    for headers in (attacker, {"Authorization": f"Bearer {attacker_key}"}):
        for method, path, kwargs in _attempts(victim):
            r = http.request(method, path, headers=headers, **kwargs)
            assert r.status_code in (403, 404), (method, path, r.status_code, r.text[:200])
            assert victim["secret"] not in r.text and "Secret Vendor" not in r.text, (method, path)
            assert "PO-SECRET" not in r.text and "GR-SECRET" not in r.text, (method, path)
            assert "victim-imap-password" not in r.text, (method, path)
    # unfiltered listings and exports contain only the attacker's (empty) data
    assert http.get("/invoices", headers=attacker).json()["count"] == 0
    export = http.get("/exports", params={"format": "json"}, headers=attacker)
    assert export.status_code == 200 and victim["secret"] not in export.text
    assert victim["client"] not in http.get("/clients", headers=attacker).text


def test_anonymous_and_forged_tokens_get_401(http, victim):
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}
    for method, path, kwargs in _attempts(victim)[:5]:
        for headers in ({}, forged):
            r = http.request(method, path, headers=headers, **kwargs)
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"


def test_signed_url_of_one_file_cannot_be_bent_to_another(http, victim):
    base = str(http.base_url).removesuffix("/api/v1/")
    tampered = victim["url"].replace(victim["client"], str(uuid.uuid4()))
    assert http.get(base + tampered).status_code in (401, 404)
    assert http.get(base + victim["url"].split("?")[0] + "?token=garbage").status_code == 401


def test_viewer_reads_but_cannot_write(http, victim):
    owner_headers = sign_up(http)
    cid = http.post("/clients", json={"name": "Roles Ltd"}, headers=owner_headers).json()["id"]
    viewer_email = f"viewer-{uuid.uuid4().hex[:8]}@example.test"
    viewer = sign_up(http, viewer_email)
    r = http.post(
        f"/clients/{cid}/invitations",
        json={"role": "viewer", "email": viewer_email},
        headers=owner_headers,
    )
    assert r.status_code == 201, r.text
    assert http.post(f"/invitations/{r.json()['id']}/accept", headers=viewer).status_code == 200
    assert http.get(f"/clients/{cid}", headers=viewer).json()["role"] == "viewer"
    pdf = generate_invoice(79, kind="pdf").data
    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", ("v.pdf", pdf, "application/pdf"))],
        headers=viewer,
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    viewer_id = http.get("/auth/me", headers=viewer).json()["id"]
    r = http.put(
        f"/clients/{cid}/members", json={"role": "owner", "user_id": viewer_id}, headers=viewer
    )
    assert r.status_code == 403
    r = http.post(
        f"/clients/{cid}/invitations", json={"role": "owner", "email": viewer_email}, headers=viewer
    )
    assert r.status_code == 403
