"""Issue 14 over HTTP with a real worker: an override teaches the alias store, the next invoice
of that vendor matches by the learned alias, owners list and remove aliases, nothing crosses
clients, and removing an alias re-opens nothing."""

from __future__ import annotations

import dataclasses

import pytest

from core.demo.synthetic_content import make_spec
from core.demo.synthetic_layouts import render_pdf
from tests.e2e.api.conftest import sign_up, wait_for_batch

pytestmark = pytest.mark.slow


def _docs() -> tuple[bytes, bytes, str]:
    """Two invoices of one vendor (same party, other content) and the vendor's printed name."""
    first = make_spec(4101, locale=None)
    second = dataclasses.replace(make_spec(4102), vendor=first.vendor, loc=first.loc)
    return render_pdf(first), render_pdf(second), first.vendor.name


def _client(http, headers, name: str) -> str:
    cid = http.post("/clients", json={"name": name}, headers=headers).json()["id"]
    csv = b"vendor_code,name\nV1,Quasar Widget Works Ltd\nV2,Unrelated Paper Mill AG\n"
    r = http.post(
        f"/clients/{cid}/reference/vendors",
        files={"file": ("vendors.csv", csv, "text/csv")},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return cid


def _upload(http, headers, cid, name, data) -> str:
    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", (name, data, "application/pdf"))],
        headers=headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    wait_for_batch(http, headers, body["batch_id"])
    return body["files"][0]["invoice_id"]


def _vendor_match(http, headers, invoice_id):
    matches = http.get(f"/invoices/{invoice_id}/matches", headers=headers).json()["data"]
    return next(m for m in matches if m["kind"] == "vendor")


def test_alias_learned_over_http_is_used_listed_removed_and_stays_in_its_client(http, worker):
    first_pdf, second_pdf, printed = _docs()
    owner = sign_up(http)
    me = http.get("/auth/me", headers=owner).json()
    cid = _client(http, owner, "Learner GmbH")
    vendors = http.get(f"/clients/{cid}/vendors", headers=owner).json()["data"]
    v1 = next(v["id"] for v in vendors if v["vendor_code"] == "V1")

    first = _upload(http, owner, cid, "first.pdf", first_pdf)
    match = _vendor_match(http, owner, first)
    assert match["vendor_id"] != v1  # the printed name is nothing like the master's
    r = http.post(f"/matches/{match['id']}/override", json={"vendor_id": v1}, headers=owner)
    assert r.status_code == 200, r.text

    listing = http.get(f"/clients/{cid}/vendor-aliases", headers=owner)
    assert listing.status_code == 200, listing.text
    learned = [a for a in listing.json()["data"] if a["source"] == "learned"]
    assert {a["kind"] for a in learned} >= {"name"}
    name_alias = next(a for a in learned if a["kind"] == "name")
    assert name_alias["value"] == printed and name_alias["vendor_id"] == v1
    assert name_alias["learned_from"] == me["email"] and name_alias["source_invoice_id"] == first

    second = _upload(http, owner, cid, "second.pdf", second_pdf)
    match2 = _vendor_match(http, owner, second)
    assert match2["vendor_id"] == v1 and match2["band"] == "auto", match2
    assert f"alias learned from {me['email']}" in match2["reason"]

    # another client's owner: sees none of it, cannot remove it, and its worker learned nothing
    other = sign_up(http)
    other_cid = _client(http, other, "Stranger SARL")
    assert http.get(f"/clients/{cid}/vendor-aliases", headers=other).status_code == 404
    assert http.get(f"/clients/{other_cid}/vendor-aliases", headers=other).json()["data"] == []
    gone = http.delete(f"/clients/{other_cid}/vendor-aliases/{name_alias['id']}", headers=other)
    assert gone.status_code == 404
    theirs = _upload(http, other, other_cid, "same.pdf", second_pdf)
    their_match = _vendor_match(http, other, theirs)
    assert "learned" not in their_match["reason"] and their_match["band"] != "auto"

    tag = http.get(f"/invoices/{second}", headers=owner).headers["etag"]
    for m in http.get(f"/invoices/{second}/matches", headers=owner).json()["data"]:
        if m["kind"] == "purchase_order" and m["status"] == "proposed":  # a PO in no list
            http.post(f"/matches/{m['id']}/reject", headers=owner)
            tag = http.get(f"/invoices/{second}", headers=owner).headers["etag"]
    approved = http.post(f"/invoices/{second}/approve", headers={**owner, "If-Match": tag})
    assert approved.status_code == 200, approved.text
    for alias in learned:
        r = http.delete(f"/clients/{cid}/vendor-aliases/{alias['id']}", headers=owner)
        assert r.status_code == 204, r.text
    after = http.get(f"/invoices/{second}", headers=owner).json()
    assert after["status"] == "approved" and after["vendor_id"] == v1
    remaining = http.get(f"/clients/{cid}/vendor-aliases", headers=owner).json()["data"]
    assert [a for a in remaining if a["source"] == "learned"] == []


def test_hints_and_ladder_over_http_stay_in_their_client(http):
    owner = sign_up(http)
    cid = _client(http, owner, "Ladder GmbH")
    vendors = http.get(f"/clients/{cid}/vendors", headers=owner).json()["data"]
    v1 = next(v["id"] for v in vendors if v["vendor_code"] == "V1")

    states = http.get(f"/clients/{cid}/vendor-trust", headers=owner)
    assert states.status_code == 200, states.text
    assert {s["vendor_id"] for s in states.json()["data"]} == {v["id"] for v in vendors}
    assert all(s["clean_streak"] == 0 and not s["paused"] for s in states.json()["data"])
    paused = http.put(f"/clients/{cid}/vendors/{v1}/ladder", json={"paused": True}, headers=owner)
    assert paused.status_code == 200 and paused.json()["paused"] is True, paused.text
    bad = http.put(f"/clients/{cid}/vendors/{v1}/ladder", json={"paused": "x"}, headers=owner)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert http.get(f"/clients/{cid}/vendor-hints", headers=owner).json()["data"] == []

    other = sign_up(http)
    other_cid = _client(http, other, "Other SARL")
    for url in (f"/clients/{cid}/vendor-trust", f"/clients/{cid}/vendor-hints"):
        assert http.get(url, headers=other).status_code == 404
    stolen = http.put(f"/clients/{cid}/vendors/{v1}/ladder", json={"paused": False}, headers=other)
    assert stolen.status_code == 404
    # a vendor of A named under B's client is not B's vendor
    crossed = http.put(
        f"/clients/{other_cid}/vendors/{v1}/ladder", json={"paused": True}, headers=other
    )
    assert crossed.status_code == 404
    theirs = http.get(f"/clients/{other_cid}/vendor-trust", headers=other).json()["data"]
    assert v1 not in {s["vendor_id"] for s in theirs} and not any(s["paused"] for s in theirs)
    still = http.get(f"/clients/{cid}/vendor-trust", headers=owner).json()["data"]
    assert next(s for s in still if s["vendor_id"] == v1)["paused"] is True
