"""Cursor (keyset) paging on the invoice list (issue 17, item 6), limit/offset kept."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.e2e.api.conftest import sign_up


def _walk(http, headers, cid, sort, limit=7):
    ids, cursor, pages = [], None, 0
    while True:
        params = {"client_id": cid, "limit": limit, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        r = http.get("/invoices", params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [i["id"] for i in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
        assert pages < 50


def test_cursor_pages_cover_every_invoice_once_in_order_ties_included(http, engine):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Paged GmbH"}, headers=owner).json()["id"]
    with engine.begin() as conn:  # 30 invoices, in 10 groups of 3 sharing one created_at
        for n in range(30):
            conn.execute(
                text("insert into public.invoices (client_id, status, total, created_at)"
                     " values (:c, 'needs_review', :t,"
                     " timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => :s))"),
                {"c": cid, "t": n, "s": n // 3},
            )  # fmt: skip
    by_offset = [
        i["id"]
        for off in range(0, 30, 10)
        for i in http.get(
            "/invoices", params={"client_id": cid, "limit": 10, "offset": off}, headers=owner
        ).json()["data"]
    ]
    newest_first, pages = _walk(http, owner, cid, "-created_at")
    assert newest_first == by_offset and len(set(newest_first)) == 30 and pages == 5
    oldest_first, _ = _walk(http, owner, cid, "created_at", limit=30)
    assert oldest_first == list(reversed(newest_first))

    # A page taken, then new invoices arrive: the next page neither repeats nor skips.
    first = http.get("/invoices", params={"client_id": cid, "limit": 10}, headers=owner).json()
    with engine.begin() as conn:
        conn.execute(
            text("insert into public.invoices (client_id, status) values (:c, 'received')"),
            {"c": cid},
        )
    second = http.get("/invoices", params={"client_id": cid, "limit": 10,
                                           "cursor": first["next_cursor"]},
                      headers=owner).json()  # fmt: skip
    assert [i["id"] for i in second["data"]] == by_offset[10:20]


def test_bad_cursors_are_422(http):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Cursed"}, headers=owner).json()["id"]
    r = http.get("/invoices", params={"client_id": cid, "limit": 1}, headers=owner)
    assert r.json()["next_cursor"] is None  # no invoices: no next page
    for params in (
        {"cursor": "not-a-cursor"},
        {"cursor": "eyJzIjogIi1jcmVhdGVkX2F0In0", "sort": "-created_at"},  # fields missing
        {"cursor": "abc", "sort": "-total"},
    ):
        r = http.get("/invoices", params={"client_id": cid, **params}, headers=owner)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"


def test_a_cursor_is_for_its_sort_and_not_with_offset(http, engine):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Sorted"}, headers=owner).json()["id"]
    with engine.begin() as conn:
        for _ in range(3):
            conn.execute(text("insert into public.invoices (client_id, status) values (:c,"
                              " 'received')"), {"c": cid})  # fmt: skip
    cursor = http.get("/invoices", params={"client_id": cid, "limit": 1},
                      headers=owner).json()["next_cursor"]  # fmt: skip
    assert cursor
    other_sort = http.get("/invoices", params={"client_id": cid, "cursor": cursor,
                                               "sort": "created_at"}, headers=owner)  # fmt: skip
    assert other_sort.status_code == 422
    both = http.get("/invoices", params={"client_id": cid, "cursor": cursor, "offset": 1},
                    headers=owner)  # fmt: skip
    assert both.status_code == 422
    assert str(uuid.UUID(int=0)) not in cursor
