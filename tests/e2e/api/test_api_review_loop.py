"""A review loop operators can trust, over HTTP (issue 13): approval policy (409 with reasons,
overrides, If-Match), re-matching, vendors created from an invoice, duplicates without a matched
vendor, and exports that a GET never changes."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import sign_up, wait_for_batch

pytestmark = pytest.mark.slow


def _client(http, name):
    headers = sign_up(http)
    cid = http.post("/clients", json={"name": name}, headers=headers).json()["id"]
    return headers, cid


def _upload(http, headers, cid, *docs):
    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", (name, data, media)) for name, data, media in docs],
        headers=headers,
    )
    assert r.status_code == 201, r.text
    upload = r.json()
    assert upload["accepted"] == len(docs), upload
    wait_for_batch(http, headers, upload["batch_id"])
    return [f["invoice_id"] for f in upload["files"]]


def _pdf(seed, **kw):
    doc = generate_invoice(seed, kind="pdf", **kw)
    return doc.filename, doc.data, "application/pdf"


def _get(http, headers, invoice_id):
    r = http.get(f"/invoices/{invoice_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json(), r.headers["etag"]


def _reference(http, headers, cid, kind, rows):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    r = http.post(
        f"/clients/{cid}/reference/{kind}",
        files={"file": (f"{kind}.csv", buf.getvalue().encode(), "text/csv")},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["errors"] == [], r.text


def _audit(http, headers, invoice_id):
    return http.get(f"/invoices/{invoice_id}/audit", headers=headers).json()["data"]


def test_a_blocked_approval_answers_409_with_reasons_and_an_override_is_audited(http, worker):
    headers, cid = _client(http, "Loop Approvals GmbH")
    (invoice_id,) = _upload(http, headers, cid, _pdf(31))
    detail, tag = _get(http, headers, invoice_id)
    assert detail["status"] == "needs_review" and detail["vendor_id"] is None

    check = http.get(f"/invoices/{invoice_id}/approval", headers=headers).json()
    blocking = [r for r in check["reasons"] if r["blocking"]]
    assert "vendor.unknown" in [r["code"] for r in blocking]
    assert check["policy_version"] is None and check["may_override"] is True  # the owner

    url = f"/invoices/{invoice_id}/approve"
    no_tag = http.post(url, headers=headers)
    assert no_tag.status_code == 428 and no_tag.json()["code"] == "precondition_required"
    assert http.post(f"/invoices/{invoice_id}/reject", json={"reason": "no"}, headers=headers)\
        .status_code == 428  # fmt: skip
    unknown = http.post(url, json={"approve_anyway": True}, headers={**headers, "If-Match": tag})
    assert unknown.status_code == 422

    blocked = http.post(url, headers={**headers, "If-Match": tag})
    assert blocked.status_code == 409, blocked.text
    assert blocked.headers["content-type"].startswith("application/problem+json")
    problem = blocked.json()
    assert problem["code"] == "approval_blocked"
    assert [e["code"] for e in problem["errors"]] == [r["code"] for r in blocking]
    assert all(e["message"] for e in problem["errors"])
    assert _get(http, headers, invoice_id)[0]["status"] == "needs_review"

    stale = http.post(
        url, json={"override_reason": "known supplier"}, headers={**headers, "If-Match": '"v1"'}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    r = http.post(
        url,
        json={"override_reason": "known supplier, checked by phone"},
        headers={**headers, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.headers["etag"] != tag
    event = next(
        e for e in _audit(http, headers, invoice_id) if e["action"] == "approval.overridden"
    )
    assert event["meta"]["reason"] == "known supplier, checked by phone"
    assert "vendor.unknown" in [o["code"] for o in event["meta"]["overridden"]]

    # A policy that blocks nothing: the next invoice is approved without an override.
    r = http.post(
        f"/clients/{cid}/approval-policies",
        json={"name": "lenient", "policy": {"blocks": []}, "activate": True},
        headers=headers,
    )
    assert r.status_code == 201 and r.json()["is_active"], r.text
    bad = http.post(
        f"/clients/{cid}/approval-policies", json={"policy": {"blocks": ["x"]}}, headers=headers
    )
    assert bad.status_code == 422
    (second,) = _upload(http, headers, cid, _pdf(32))
    _, tag2 = _get(http, headers, second)
    r = http.post(f"/invoices/{second}/approve", headers={**headers, "If-Match": tag2})
    assert r.status_code == 200, r.text


def test_correcting_the_po_number_re_matches_and_an_explicit_re_match_is_audited(http, worker):
    headers, cid = _client(http, "Loop Rematch GmbH")
    doc = generate_invoice(33, kind="pdf")
    (invoice_id,) = _upload(http, headers, cid, (doc.filename, doc.data, "application/pdf"))
    detail, tag = _get(http, headers, invoice_id)
    total = detail["total"]
    assert total is not None
    _reference(
        http,
        headers,
        cid,
        "vendors",
        [["vendor_code", "name", "vat_id"], ["V1", doc.truth["vendor_name"], ""]],
    )
    _reference(
        http,
        headers,
        cid,
        "purchase_orders",
        [
            ["po_number", "vendor", "currency", "line_no", "description", "quantity",
             "unit_price", "amount"],
            ["PO-4711", "V1", detail["currency"] or "EUR", "1", "Goods", "1", total, total],
        ],
    )  # fmt: skip

    r = http.patch(
        f"/invoices/{invoice_id}", json={"po_number": "PO445"}, headers={**headers, "If-Match": tag}
    )
    assert r.status_code == 200, r.text
    matches = http.get(f"/invoices/{invoice_id}/matches", headers=headers).json()["data"]
    po = next(m for m in matches if m["kind"] == "purchase_order")
    assert po["purchase_order_id"] is None and "PO445" in po["reason"]

    r = http.patch(
        f"/invoices/{invoice_id}",
        json={"po_number": "PO-4711"},
        headers={**headers, "If-Match": r.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    matches = http.get(f"/invoices/{invoice_id}/matches", headers=headers).json()["data"]
    po = next(m for m in matches if m["kind"] == "purchase_order")
    assert po["purchase_order_id"] is not None and "PO-4711 found" in po["reason"], po
    rematched = [e for e in _audit(http, headers, invoice_id) if e["action"] == "match.rematched"]
    assert rematched[-1]["meta"]["why"] == "corrected po_number"
    assert rematched[-1]["meta"]["kinds"] == ["purchase_order"]

    # The vendor list was imported after processing: an explicit re-match finds the vendor.
    _, tag = _get(http, headers, invoice_id)
    assert http.post(f"/invoices/{invoice_id}/rematch", headers=headers).status_code == 428
    r = http.post(
        f"/invoices/{invoice_id}/rematch",
        json={"reason": "vendor list imported"},
        headers={**headers, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    assert any(m["kind"] == "vendor" and m["vendor_id"] for m in r.json()["matches"])
    event = [e for e in _audit(http, headers, invoice_id) if e["action"] == "match.rematched"][-1]
    assert event["meta"]["why"] == "vendor list imported"
    assert event["meta"]["trigger"] == "request"
    assert {"vendor", "purchase_order", "duplicate"} <= set(event["meta"]["kinds"])


def test_a_vendor_is_created_from_an_invoice_after_did_you_mean(http, worker):
    headers, cid = _client(http, "Loop Vendors GmbH")
    doc = generate_invoice(34, kind="pdf")
    (invoice_id,) = _upload(http, headers, cid, (doc.filename, doc.data, "application/pdf"))
    detail, tag = _get(http, headers, invoice_id)
    assert detail["vendor_id"] is None
    assert http.post(f"/invoices/{invoice_id}/vendor", headers=headers).status_code == 428

    r = http.post(f"/invoices/{invoice_id}/vendor", json={}, headers={**headers, "If-Match": tag})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["vendor"]["name"] == detail["vendor_name"]
    assert created["invoice"]["vendor_id"] == created["vendor"]["id"]
    actions = [e["action"] for e in _audit(http, headers, invoice_id)]
    assert "vendor.created" in actions
    vendors = http.get(f"/clients/{cid}/vendors", headers=headers).json()["data"]
    assert [v["name"] for v in vendors] == [detail["vendor_name"]]

    # The same vendor again, from a second invoice: "did you mean ...?" first.
    (second,) = _upload(http, headers, cid, _pdf(34, n_items=1))
    _, tag2 = _get(http, headers, second)
    r = http.post(f"/invoices/{second}/vendor", json={}, headers={**headers, "If-Match": tag2})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "vendor_exists"
    assert [e["vendor_id"] for e in r.json()["errors"]] == [created["vendor"]["id"]]
    assert "did you mean" in r.json()["detail"]


def test_a_re_sent_copy_is_flagged_as_a_duplicate_without_a_matched_vendor(http, worker):
    headers, cid = _client(http, "Loop Duplicates GmbH")
    text_pdf = generate_invoice(35, kind="pdf")
    scan = generate_invoice(35, kind="scan_png")  # the same invoice, printed and scanned
    (first,) = _upload(http, headers, cid, (text_pdf.filename, text_pdf.data, "application/pdf"))
    (second,) = _upload(http, headers, cid, (scan.filename, scan.data, "image/png"))
    detail, _ = _get(http, headers, second)
    assert detail["vendor_id"] is None  # there is no vendor master at all
    assert detail["invoice_number"] == text_pdf.truth["invoice_number"]  # OCR read it
    dups = [m for m in detail["matches"] if m["kind"] == "duplicate"]
    firsts = [m for m in _get(http, headers, first)[0]["matches"] if m["kind"] == "duplicate"]
    assert firsts == [], "the first copy has nothing to be a duplicate of"
    assert len(dups) == 1, "the re-sent scan is not flagged as a possible duplicate"
    flagged = dups
    assert flagged[0]["duplicate_of_invoice_id"] == first
    assert "same vendor name" in flagged[0]["reason"]
    check = http.get(f"/invoices/{flagged[0]['invoice_id']}/approval", headers=headers).json()
    assert "duplicate.possible" in [r["code"] for r in check["reasons"] if r["blocking"]]


def test_get_exports_changes_nothing_and_marking_is_its_own_post(http, worker):
    headers, cid = _client(http, "Loop Exports GmbH")
    http.post(
        f"/clients/{cid}/approval-policies",
        json={"policy": {"blocks": []}, "activate": True},
        headers=headers,
    )
    ids = _upload(http, headers, cid, _pdf(36), _pdf(37))
    for invoice_id in ids:
        _, tag = _get(http, headers, invoice_id)
        r = http.post(f"/invoices/{invoice_id}/approve", headers={**headers, "If-Match": tag})
        assert r.status_code == 200, r.text
    before = {i: _get(http, headers, i)[0] for i in ids}
    me = http.get("/auth/me", headers=headers).json()

    for fmt in ("csv", "xlsx", "json", "xero_bills"):
        r = http.get("/exports", params={"client_id": cid, "format": fmt}, headers=headers)
        assert r.status_code == 200, r.text
    r = http.get("/exports", params={"client_id": cid, "mark_exported": "true"}, headers=headers)
    assert r.status_code == 200  # an unknown query parameter changes nothing either
    after = {i: _get(http, headers, i)[0] for i in ids}
    assert {i: (a["status"], a["version"]) for i, a in after.items()} == {
        i: ("approved", b["version"]) for i, b in before.items()
    }

    r = http.get("/exports", params={"client_id": cid, "format": "xlsx"}, headers=headers)
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    head = [c.value for c in wb["invoices"][1]]
    row = dict(zip(head, next(wb["invoices"].iter_rows(min_row=2, values_only=True)), strict=True))
    assert row["Client"] == "Loop Exports GmbH"
    assert row["Approved by"] == me["email"]
    match_head = [c.value for c in wb["matches"][1]]
    assert "Explanation" in match_head

    r = http.post("/exports/mark-exported", json={"invoice_ids": ids + ids[:1]}, headers=headers)
    assert r.status_code == 200, r.text
    assert sorted(r.json()["marked"]) == sorted(ids) and r.json()["skipped"] == []
    assert {_get(http, headers, i)[0]["status"] for i in ids} == {"exported"}
    again = http.post("/exports/mark-exported", json={"invoice_ids": ids}, headers=headers)
    assert again.json()["marked"] == [] and sorted(again.json()["skipped"]) == sorted(ids)
    assert http.post("/exports/mark-exported", json={"invoice_ids": []}, headers=headers)\
        .status_code == 422  # fmt: skip


def test_money_in_the_reasons_reads_like_the_review_screen_and_details_keep_the_numbers(
    http, worker
) -> None:
    headers, cid = _client(http, "Loop Money GmbH")
    (invoice_id,) = _upload(http, headers, cid, _pdf(34))
    detail, tag = _get(http, headers, invoice_id)
    currency = detail["currency"]
    assert currency and detail["subtotal"] is not None and detail["tax"] is not None
    # Net misread as thousands: net + tax no longer makes the total.
    r = http.patch(
        f"/invoices/{invoice_id}",
        json={"subtotal": "12345.6", "currency": currency},
        headers={**headers, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    check = http.get(f"/invoices/{invoice_id}/approval", headers=headers).json()
    totals = next(x for x in check["reasons"] if x["code"] == "check.totals_mismatch")
    assert totals["message"].startswith(f"Net 12,345.60 {currency} + tax "), totals["message"]
    assert float(totals["detail"]["subtotal"]) == 12345.6  # the raw number, for programs
    assert totals["detail"]["currency"] == currency
    blocked = http.post(
        f"/invoices/{invoice_id}/approve", headers={**headers, "If-Match": r.headers["etag"]}
    )
    assert blocked.status_code == 409, blocked.text
    assert totals["message"] in [e["message"] for e in blocked.json()["errors"]]
