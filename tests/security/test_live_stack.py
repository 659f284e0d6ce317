"""Attacks and faults against the live stack (``live_stack``: demo serve + API + worker).

F12 an unwritable store, F15 one request queueing hours of OCR, F10 tokens in the logs of the
``make run`` supervisor, F4 a poison pill that kills its worker on every attempt, F8 a database
restart plus a worker killed mid-batch: every invoice ends processed exactly once or failed with
a reason, with no manual restart.
"""

from __future__ import annotations

import io
import os
import signal
import time
import uuid

import httpx
import pytest
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import text

from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import sign_up
from tests.security.conftest import LiveStack, wait_until

pytestmark = [pytest.mark.security, pytest.mark.slow, pytest.mark.timeout(900)]
TERMINAL = {"needs_review", "approved", "failed"}  # approved: the trust ladder
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _tenant(http: httpx.Client) -> tuple[dict[str, str], str]:
    headers = sign_up(http)
    r = http.post("/clients", json={"name": f"Live {uuid.uuid4().hex[:8]}"}, headers=headers)
    assert r.status_code == 201, r.text
    return headers, r.json()["id"]


def _pdfs(n: int, seed: int, kind: str = "pdf") -> list[tuple[str, tuple[str, bytes, str]]]:
    docs = [generate_invoice(seed + i, kind=kind) for i in range(n)]
    return [("files", (d.filename, d.data, "application/pdf")) for d in docs]


def _blank_pdf(pages: int, title: str) -> bytes:
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=1)
    canvas.setTitle(title)
    for _ in range(pages):
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _state(stack: LiveStack, ids: list[str]) -> dict[str, tuple[str, str | None, int]]:
    """Per invoice: status, failure reason, how many times it was extracted (audit)."""
    with stack.engine().connect() as conn:
        rows = conn.execute(
            text(
                "select i.id::text, i.status::text, i.failure_reason,"
                " (select count(*) from public.audit_events a where a.invoice_id = i.id"
                "  and a.action = 'status.extracted')"
                " from public.invoices i where i.id = any(cast(:ids as uuid[]))"
            ),
            {"ids": ids},
        ).all()
    return {r[0]: (r[1], r[2], int(r[3])) for r in rows}


def _assert_processed_once_or_failed_with_reason(stack: LiveStack, ids: list[str]) -> dict:
    state = _state(stack, ids)
    assert len(state) == len(ids)
    for invoice_id, (status, reason, extracted) in state.items():
        assert status in TERMINAL, (invoice_id, status)
        if status == "failed":
            assert reason, f"{invoice_id} failed without a reason"
        else:
            assert extracted == 1, (invoice_id, extracted)
    return state


def _all_terminal(stack: LiveStack, ids: list[str]) -> bool:
    try:
        return {s for s, _, _ in _state(stack, ids).values()} <= TERMINAL
    except Exception:  # the database is restarting
        return False


def test_f12_an_unwritable_store_is_a_503_or_a_per_file_refusal(live_stack: LiveStack) -> None:
    with live_stack.client() as http:
        headers, cid = _tenant(http)
        bucket = live_stack.data_dir / "storage" / "invoices"
        bucket.mkdir(parents=True, exist_ok=True)
        moved = bucket.with_name("invoices.moved")
        bucket.rename(moved)
        bucket.write_bytes(b"")  # a file where the bucket directory should be: nothing writes
        try:
            everything = http.post(f"/clients/{cid}/uploads", files=_pdfs(2, 9100), headers=headers)
            mixed = http.post(
                f"/clients/{cid}/uploads",
                files=[("files", ("logo.svg", SVG, "image/svg+xml")), *_pdfs(1, 9102)],
                headers=headers,
            )
        finally:
            bucket.unlink()
            moved.rename(bucket)
        after = http.post(f"/clients/{cid}/uploads", files=_pdfs(1, 9103), headers=headers)
    assert everything.status_code == 503, everything.text
    assert everything.headers["content-type"].startswith("application/problem+json")
    assert everything.json()["code"] == "storage_unavailable"
    assert mixed.status_code == 201, mixed.text
    assert [f["error_code"] for f in mixed.json()["files"]] == [
        "hostile_document",
        "storage_unavailable",
    ]
    assert after.status_code == 201 and after.json()["accepted"] == 1


def test_f15_one_upload_cannot_queue_hours_of_ocr(live_stack: LiveStack) -> None:
    # 200 text-less pages each: minutes of OCR per file without a budget.
    files = [("files", (f"scan-{i}.pdf", _blank_pdf(200, f"scan {i}"), "x")) for i in range(3)]
    with live_stack.client() as http:
        headers, cid = _tenant(http)
        r = http.post(f"/clients/{cid}/uploads", files=files, headers=headers)
    assert r.status_code == 201, r.text
    outcomes = r.json()["files"]
    assert [f["status"] for f in outcomes] == ["accepted", "accepted", "rejected"]
    assert (
        outcomes[2]["error_code"] == "too_large" and "500 pages per upload" in outcomes[2]["error"]
    )
    ids = [f["invoice_id"] for f in outcomes[:2]]
    wait_until(lambda: _all_terminal(live_stack, ids), 120, "the OCR budget to refuse them")
    state = _state(live_stack, ids)
    assert {s for s, _, _ in state.values()} == {"failed"}
    assert {r for _, r, _ in state.values()} == {"extraction_budget_exceeded"}


def test_f10_signed_urls_leave_no_token_in_the_supervisors_logs(live_stack: LiveStack) -> None:
    with live_stack.client() as http:
        headers, cid = _tenant(http)
        up = http.post(f"/clients/{cid}/uploads", files=_pdfs(1, 9200), headers=headers).json()
        invoice_id = up["files"][0]["invoice_id"]
        url = http.get(f"/invoices/{invoice_id}/file-url", headers=headers).json()["url"]
        assert httpx.get(live_stack.api + url).status_code == 200
    token = url.split("token=", 1)[1]
    key_part = url.split("?", 1)[0].rsplit("/", 1)[1]
    time.sleep(1.0)
    log = live_stack.log_text()
    assert token[:40] not in log and key_part not in log
    assert "GET /storage/v1/object/sign/{bucket}/{key:path} 200" in log  # the app's own line


def _started(stack: LiveStack, invoice_id: str) -> int:
    with stack.engine().connect() as conn:
        return int(
            conn.execute(
                text(
                    "select count(*) from public.procrastinate_events e"
                    " join public.procrastinate_jobs j on j.id = e.job_id"
                    " where j.args->>'invoice_id' = :i and e.type = 'started'"
                ),
                {"i": invoice_id},
            ).scalar_one()
        )


def test_f4_a_job_that_kills_its_worker_every_time_ends_failed(live_stack: LiveStack) -> None:
    """The worker is killed -9 each time it starts the same job (as an OOM kill would)."""
    scan = generate_invoice(9300, kind="scan_pdf")  # OCR: seconds of work, time to kill it
    with live_stack.client() as http:
        headers, cid = _tenant(http)
        r = http.post(
            f"/clients/{cid}/uploads",
            files=[("files", (scan.filename, scan.data, "application/pdf"))],
            headers=headers,
        )
    invoice_id = r.json()["files"][0]["invoice_id"]
    kills = 0
    for attempt in (1, 2, 3):
        wait_until(lambda a=attempt: _started(live_stack, invoice_id) >= a, 120, f"start {attempt}")
        for worker in live_stack.workers():
            worker.send_signal(signal.SIGKILL)
            kills += 1
    assert kills >= 3
    wait_until(lambda: _all_terminal(live_stack, [invoice_id]), 180, "the invoice to end")
    status, reason, extracted = _state(live_stack, [invoice_id])[invoice_id]
    assert (status, reason, extracted) == ("failed", "attempts_exhausted", 0)
    with live_stack.engine().connect() as conn:
        detail = conn.execute(
            text(
                "select meta->>'detail' from public.audit_events"
                " where invoice_id = :i and action = 'status.failed'"
            ),
            {"i": invoice_id},
        ).scalar_one()
    assert detail.startswith("processing started 3 times and never finished")
    assert "restarted worker" in live_stack.log_text()


def test_f8_database_restart_and_a_killed_worker_mid_batch(live_stack: LiveStack) -> None:
    with live_stack.client() as http:
        headers, cid = _tenant(http)
        r = http.post(f"/clients/{cid}/uploads", files=_pdfs(12, 9400), headers=headers)
        assert r.status_code == 201 and r.json()["accepted"] == 12, r.text
    ids = [f["invoice_id"] for f in r.json()["files"]]
    wait_until(lambda: sum(e for _, _, e in _state(live_stack, ids).values()) >= 2, 180, "work")
    live_stack.stop_database()
    time.sleep(3)
    live_stack.start_database()
    wait_until(lambda: sum(e for _, _, e in _state(live_stack, ids).values()) >= 4, 180, "more")
    (worker,) = live_stack.workers()
    os.kill(worker.pid, signal.SIGKILL)  # mid-batch
    wait_until(lambda: _all_terminal(live_stack, ids), 300, "every invoice to end", interval=1)
    state = _assert_processed_once_or_failed_with_reason(live_stack, ids)
    assert sum(s != "failed" for s, _, _ in state.values()) >= 10, state
    log = live_stack.log_text()
    assert "worker exited with code -9; restarting it" in log
    assert live_stack.serve.poll() is None and live_stack.children("uvicorn")
    with live_stack.client() as http:  # the API came through the restart too
        assert http.get("/auth/me", headers=headers).status_code == 200
