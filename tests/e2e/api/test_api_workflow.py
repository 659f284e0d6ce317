"""The whole workflow through HTTP against the real database and a real worker process."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import sign_up, wait_for_batch

pytestmark = pytest.mark.slow


def _vendor_csv(invoices) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["vendor_code", "name", "vat_id"])
    for i, inv in enumerate(invoices):
        w.writerow(
            [
                f"V{i}",
                inv.truth["vendor_name"],
                inv.truth.get("vendor_vat_id", ""),
            ]
        )
    w.writerow(["V-bad", "", ""])  # a malformed row: reported, the others kept
    return buf.getvalue().encode()


def test_upload_process_review_approve_export_over_http(http, worker):
    headers = sign_up(http)
    me = http.get("/auth/me", headers=headers).json()
    client = http.post("/clients", json={"name": "E2E Workflow GmbH"}, headers=headers).json()
    cid = client["id"]
    assert client["role"] == "owner"

    docs = [generate_invoice(seed, kind="pdf") for seed in (11, 12, 13)]
    r = http.post(
        f"/clients/{cid}/reference/vendors",
        files={"file": ("vendors.csv", _vendor_csv(docs), "text/csv")},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["created"] == 3 and [e["row"] for e in report["errors"]] == [5]

    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", (d.filename, d.data, "application/pdf")) for d in docs]
        + [("files", ("notes.txt", b"just text", "text/plain"))],
        headers=headers,
    )
    assert r.status_code == 201, r.text
    upload = r.json()
    assert upload["accepted"] == 3
    assert upload["files"][3]["status"] == "rejected"
    assert upload["files"][3]["error_code"] == "unsupported_type"

    progress = wait_for_batch(http, headers, upload["batch_id"])
    assert progress["processed"] == 3

    listing = http.get("/invoices", params={"client_id": cid, "limit": 10}, headers=headers).json()
    assert listing["count"] == 3
    assert {i["status"] for i in listing["data"]} <= {"needs_review", "approved"}
    by_status = http.get(
        "/invoices", params={"client_id": cid, "status": "failed"}, headers=headers
    ).json()
    assert by_status["count"] == 0

    inv_id = upload["files"][0]["invoice_id"]
    r = http.get(f"/invoices/{inv_id}", headers=headers)
    detail, tag = r.json(), r.headers["etag"]
    assert detail["extractor"] and detail["lines"]

    matches = http.get(f"/invoices/{inv_id}/matches", headers=headers).json()["data"]
    vendor_match = next(m for m in matches if m["kind"] == "vendor")
    assert vendor_match["reason"] and vendor_match["band"] in ("auto", "review")
    assert vendor_match["candidates"]

    r = http.patch(
        f"/invoices/{inv_id}",
        json={"invoice_number": "CORRECTED-1"},
        headers={**headers, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    assert r.json()["invoice_number"] == "CORRECTED-1" and r.headers["etag"] != tag
    stale = http.patch(
        f"/invoices/{inv_id}", json={"invoice_number": "LOST"}, headers={**headers, "If-Match": tag}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert (
        http.patch(f"/invoices/{inv_id}", json={"total": "1"}, headers=headers).status_code == 428
    )

    r = http.post(f"/matches/{vendor_match['id']}/confirm", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"

    for item in upload["files"][:3]:
        url = f"/invoices/{item['invoice_id']}"
        tagged = {**headers, "If-Match": http.get(url, headers=headers).headers["etag"]}
        r = http.post(f"{url}/approve", headers=tagged)
        if r.status_code == 409:  # the approval policy blocks: the owner overrides, with a reason
            assert r.json()["code"] == "approval_blocked" and r.json()["errors"], r.text
            r = http.post(f"{url}/approve", json={"override_reason": "e2e"}, headers=tagged)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved" and r.json()["reviewed_by"] == me["id"]

    r = http.get("/exports", params={"client_id": cid, "format": "xlsx"}, headers=headers)
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["invoices", "lines", "matches", "exceptions"]
    numbers = {row[7] for row in wb["invoices"].iter_rows(min_row=2, values_only=True)}
    assert "CORRECTED-1" in numbers and len(numbers) == 3
    assert wb["lines"].max_row > 1 and wb["matches"].max_row > 1
    assert http.get(f"/invoices/{inv_id}", headers=headers).json()["status"] == "approved"
    ids = [item["invoice_id"] for item in upload["files"][:3]]
    r = http.post("/exports/mark-exported", json={"invoice_ids": ids}, headers=headers)
    assert r.status_code == 200 and sorted(r.json()["marked"]) == sorted(ids), r.text
    after = http.get(f"/invoices/{inv_id}", headers=headers).json()
    assert after["status"] == "exported"

    r = http.get("/exports", params={"client_id": cid, "format": "json"}, headers=headers)
    assert {i["invoice_number"] for i in json.loads(r.content)["invoices"]} == numbers

    audit = http.get(f"/invoices/{inv_id}/audit", headers=headers).json()["data"]
    actions = [e["action"] for e in audit]
    assert actions[0] == "invoice.uploaded" and "status.exported" in actions
    extracted = next(e for e in audit if e["action"] == "status.extracted")
    assert extracted["meta"]["extractor"] == detail["extractor"]
    assert all(e["actor_id"] == me["id"] for e in audit)  # the worker acted as the uploader

    url = http.get(f"/invoices/{inv_id}/file-url", headers=headers).json()["url"]
    original = http.get(str(http.base_url).removesuffix("/api/v1/") + url)
    assert original.status_code == 200 and original.content == docs[0].data
    streamed = http.get(f"/invoices/{inv_id}/file", headers=headers)
    assert streamed.content == docs[0].data

    dup = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", (docs[1].filename, docs[1].data, "application/pdf"))],
        headers=headers,
    ).json()
    assert dup["files"][0]["status"] == "duplicate"
    assert dup["files"][0]["invoice_id"] == upload["files"][1]["invoice_id"]

    assert http.delete(f"/invoices/{inv_id}", headers=headers).status_code == 204
    assert http.get(f"/invoices/{inv_id}", headers=headers).status_code == 404
    assert http.get(str(http.base_url).removesuffix("/api/v1/") + url).status_code == 404


def test_nul_bytes_and_control_characters_are_refused_or_cleaned_not_5xx(http):
    r = http.post("/auth/sign-up", json={"email": "a\u0000b@example.test", "password": "x" * 20})
    assert r.status_code == 422
    r = http.post("/auth/sign-up", json={"email": "weak@example.test", "password": "short"})
    assert r.status_code == 422 and r.json()["code"] == "weak_password"
    headers = sign_up(http)
    r = http.post("/clients", json={"name": "bad\u0000name"}, headers=headers)
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"
    cid = http.post("/clients", json={"name": "Clean Ltd"}, headers=headers).json()["id"]
    doc = generate_invoice(21, kind="pdf")
    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", ("in\u0000voice\u0007.pdf", doc.data, "application/pdf"))],
        headers=headers,
    )
    assert r.status_code == 201 and r.json()["files"][0]["status"] == "accepted", r.text
    inv = http.get(f"/invoices/{r.json()['files'][0]['invoice_id']}", headers=headers).json()
    assert inv["file_name"] and all(ch.isprintable() for ch in inv["file_name"])
