"""Export jobs (issue 17, item 5): a large export is a job that produces a file, run by a real
worker as the requester; the synchronous download keeps its cap and points to the job."""

from __future__ import annotations

import csv
import io
import time
import uuid

from sqlalchemy import text

from tests.e2e.api.conftest import sign_up


def _wait(http, headers, job_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = http.get(f"/export-jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"export job {job_id} not done: {job}")


def _approved(engine, cid, n):
    with engine.begin() as conn:
        for k in range(n):
            conn.execute(
                text("insert into public.invoices (client_id, status, invoice_number, total,"
                     " currency) values (:c, 'approved', :num, 10, 'EUR')"),
                {"c": cid, "num": f"JOB-{k:03d}"},
            )  # fmt: skip


def test_an_export_job_produces_the_file_and_changes_nothing(http, worker, engine):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Exporting GmbH"}, headers=owner).json()["id"]
    _approved(engine, cid, 25)
    r = http.post("/export-jobs", params={"client_id": cid, "format": "csv"}, headers=owner)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["file_url"] is None
    early = http.get(f"/export-jobs/{job['id']}/file", headers=owner)
    assert early.status_code in (200, 404)
    done = _wait(http, owner, job["id"])
    assert done["status"] == "succeeded", done
    assert done["row_count"] == 25 and "marked_exported" not in done
    got = http.get(done["file_url"].removeprefix("/api/v1"), headers=owner)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="invoices-' in got.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert sorted(r["Invoice number"] for r in rows) == [f"JOB-{k:03d}" for k in range(25)]
    statuses = http.get("/invoices", params={"client_id": cid, "limit": 100},
                        headers=owner).json()["data"]  # fmt: skip
    assert {i["status"] for i in statuses} == {"approved"}  # an export is a read
    marked = http.post("/exports/mark-exported", json={"invoice_ids": [i["id"] for i in statuses]},
                       headers=owner)  # fmt: skip
    assert marked.status_code == 200 and len(marked.json()["marked"]) == 25, marked.text
    mine = http.get("/export-jobs", headers=owner).json()
    assert [j["id"] for j in mine["data"]] == [job["id"]]

    # Someone else sees neither the job nor its file.
    other = sign_up(http)
    assert http.get(f"/export-jobs/{job['id']}", headers=other).status_code == 404
    assert http.get(f"/export-jobs/{job['id']}/file", headers=other).status_code == 404
    assert http.get("/export-jobs", headers=other).json()["count"] == 0


def test_export_jobs_respect_roles_and_validate(http, worker, engine):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Roles AG"}, headers=owner).json()["id"]
    _approved(engine, cid, 3)
    viewer = http.post(f"/clients/{cid}/api-keys", json={"name": "v", "role": "viewer"},
                       headers=owner).json()["key"]  # fmt: skip
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    job = http.post("/export-jobs", params={"client_id": cid, "format": "json"},
                    headers=as_viewer).json()  # fmt: skip
    done = _wait(http, as_viewer, job["id"])
    assert (done["status"], done["row_count"]) == ("succeeded", 3)
    outsider = sign_up(http)
    r = http.post("/export-jobs", params={"client_id": cid}, headers=outsider)
    assert r.status_code == 404
    r = http.post("/export-jobs", params={"client_id": cid, "format": "pdf"}, headers=owner)
    assert r.status_code == 422
    assert http.get(f"/export-jobs/{uuid.uuid4()}", headers=owner).status_code == 404


def test_the_synchronous_export_keeps_its_cap_and_names_the_job(engine, test_settings, role_users):
    import pytest

    from core.auth.models import CurrentUser
    from core.db.invoice_query import InvoiceFilter
    from core.errors import ValidationFailed
    from core.workflow import invoices

    class _Services:
        def __init__(self) -> None:
            self.engine, self.settings = engine, test_settings

    _approved(engine, role_users.id, 2)
    owner = role_users.members["owner"]
    user = CurrentUser(id=owner.id, email=owner.email, role="authenticated", claims=owner.claims,
                       access_token="")  # fmt: skip
    with pytest.raises(ValidationFailed, match="export job"):
        invoices.export_invoices_counted(
            services=_Services(), user=user, filters=InvoiceFilter(client_id=role_users.id),
            fmt="csv", max_rows=1,
        )  # fmt: skip
