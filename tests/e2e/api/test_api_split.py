"""Multi-invoice PDFs wired into uploads (issue 17, item 4): a real worker splits a stack into one
invoice per detected part, all linked to the original file, each extracted from its own pages;
an operator re-splits in review (audited)."""

from __future__ import annotations

from sqlalchemy import text

from core.demo.synthetic_stacks import make_stack
from tests.e2e.api.conftest import sign_up, wait_for_batch


def _file_invoices(engine, file_id):
    with engine.connect() as conn:
        return conn.execute(
            text("select id::text, page_from, page_to, invoice_number, status"
                 " from public.invoices where file_id = :f order by page_from"),
            {"f": file_id},
        ).all()  # fmt: skip


def test_a_stack_becomes_one_invoice_per_part_and_can_be_resplit(http, worker, engine):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Stacked GmbH"}, headers=owner).json()["id"]
    stack = make_stack([71, 72, 73], blank_between=True)
    up = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", ("stack.pdf", stack.data, "application/pdf"))],
        headers=owner,
    ).json()
    first = up["files"][0]["invoice_id"]
    wait_for_batch(http, owner, up["batch_id"])
    wait_for_batch(http, owner, up["batch_id"])  # the parts were queued by the first one
    with engine.connect() as conn:
        file_id = conn.execute(
            text("select file_id from public.invoices where id = :i"), {"i": first}
        ).scalar_one()
    parts = _file_invoices(engine, file_id)
    assert [(p[1], p[2]) for p in parts] == list(stack.ranges)
    assert parts[0][0] == first  # the uploaded invoice is the first part
    # each read from its own pages (the extractor drops a leading '#')
    assert [p[3] for p in parts] == [n.lstrip("#") for n in stack.invoice_numbers]
    split = http.get(f"/invoices/{first}/split", headers=owner).json()
    assert split["pages"] == list(stack.ranges[0])
    assert split["splits"][0]["source"] == "detected"
    assert sorted(split["splits"][0]["invoice_ids"]) == sorted(p[0] for p in parts)

    # Roles: a viewer may not re-split, an outsider sees nothing; nonsense parts are 422.
    viewer = http.post(f"/clients/{cid}/api-keys", json={"name": "v", "role": "viewer"},
                       headers=owner).json()["key"]  # fmt: skip
    body = {"parts": [[1, 3], [4, 5]]}
    r = http.post(f"/invoices/{first}/resplit", json=body,
                  headers={"Authorization": f"Bearer {viewer}"})  # fmt: skip
    assert r.status_code == 403
    assert http.post(f"/invoices/{first}/resplit", json=body,
                     headers=sign_up(http)).status_code == 404  # fmt: skip
    for bad in ([[2, 1]], [[1, 3], [3, 5]], [[1, 99]], []):
        r = http.post(f"/invoices/{first}/resplit", json={"parts": bad}, headers=owner)
        assert r.status_code == 422, (bad, r.text)

    statuses = {p[4] for p in parts}
    assert statuses <= {"needs_review", "approved", "failed"}
    r = http.post(f"/invoices/{first}/resplit", json=body, headers=owner)
    assert r.status_code == 200, r.text
    new_ids = r.json()["invoice_ids"]
    assert len(new_ids) == 2
    wait_for_batch(http, owner, up["batch_id"])
    again = _file_invoices(engine, file_id)
    assert sorted(p[0] for p in again) == sorted(new_ids)
    assert [(p[1], p[2]) for p in again] == [(1, 3), (4, 5)]
    with engine.connect() as conn:
        audited = conn.execute(
            text("select count(*) from public.audit_events where action = 'file.resplit'"
                 " and client_id = :c"),
            {"c": cid},
        ).scalar_one()  # fmt: skip
    assert audited == 1
    history = http.get(f"/invoices/{new_ids[0]}/split", headers=owner).json()["splits"]
    assert [h["source"] for h in history] == ["operator", "detected"]
