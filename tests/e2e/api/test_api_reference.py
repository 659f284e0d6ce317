"""Reference data over HTTP: import POs and receipts, list receipts, re-import a changed PO."""

from __future__ import annotations

import pytest

from tests.e2e.api.conftest import sign_up
from tests.integration.workflow.test_reference_reimport import HEAD, POS, RECEIPTS, VENDORS

pytestmark = pytest.mark.slow


def _upload(http, headers, cid, kind, data):
    r = http.post(
        f"/clients/{cid}/reference/{kind}",
        files={"file": (f"{kind}.csv", data, "text/csv")},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errors"] == [], body
    return body


@pytest.fixture
def loaded(http):
    headers = sign_up(http)
    cid = http.post("/clients", json={"name": "Receipts GmbH"}, headers=headers).json()["id"]
    _upload(http, headers, cid, "vendors", VENDORS)
    _upload(http, headers, cid, "purchase_orders", POS)
    _upload(http, headers, cid, "goods_receipts", RECEIPTS)
    return headers, cid


def test_goods_receipts_are_listed_paged_and_filtered_by_po_number(http, loaded):
    headers, cid = loaded
    url = f"/clients/{cid}/goods-receipts"

    first = http.get(url, params={"limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["count"] == 3
    assert [g["receipt_number"] for g in page["data"]] == ["GR-1", "GR-2"]
    gr1 = page["data"][0]
    assert (gr1["po_number"], gr1["line_count"], gr1["unlinked_line_count"]) == ("PO-1", 2, 0)
    assert float(gr1["quantity_total"]) == 12.0

    rest = http.get(url, params={"limit": 2, "offset": 2}, headers=headers).json()
    assert [g["receipt_number"] for g in rest["data"]] == ["GR-3"]

    only_po2 = http.get(url, params={"po_number": "PO-2"}, headers=headers).json()
    assert only_po2["count"] == 1 and only_po2["data"][0]["receipt_number"] == "GR-3"

    for bad_number in ("x" * 101, "PO-1\x00"):
        bad = http.get(url, params={"po_number": bad_number}, headers=headers)
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"] == "application/problem+json"


def test_reimporting_a_changed_po_keeps_receipts_linked_and_reports_lost_links(http, loaded):
    headers, cid = loaded
    url = f"/clients/{cid}/goods-receipts"
    changed = HEAD + (
        b"PO-1,V1,EUR,1,Bolts,SKU-1,12,2.40,28.80\n"
        b"PO-1,V1,EUR,2,Nuts,SKU-2,4,1.00,4.00\n"
        b"PO-1,V1,EUR,3,Screws,SKU-4,50,0.20,10.00\n"
    )
    report = _upload(http, headers, cid, "purchase_orders", changed)
    assert (report["created"], report["updated"], report["warnings"]) == (0, 1, [])
    listing = http.get(url, params={"po_number": "PO-1"}, headers=headers).json()
    assert [g["unlinked_line_count"] for g in listing["data"]] == [0, 0]

    dropped = _upload(
        http, headers, cid, "purchase_orders", HEAD + b"PO-1,V1,EUR,1,Bolts,SKU-1,12,2.40,28.80\n"
    )
    assert len(dropped["warnings"]) == 1 and "lost their link" in dropped["warnings"][0]["message"]
    listing = http.get(url, params={"po_number": "PO-1"}, headers=headers).json()
    unlinked = {g["receipt_number"]: g["unlinked_line_count"] for g in listing["data"]}
    assert unlinked == {"GR-1": 1, "GR-2": 0}


def test_goods_receipts_of_another_client_are_not_found(http, loaded):
    _, cid = loaded
    outsider = sign_up(http)
    r = http.get(f"/clients/{cid}/goods-receipts", headers=outsider)
    assert r.status_code == 404
    assert "GR-1" not in r.text
    assert http.get(f"/clients/{cid}/goods-receipts").status_code == 401
