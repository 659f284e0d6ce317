"""Fault injection with real worker processes: every invoice ends processed exactly once, or
failed with a reason. Faults: a worker killed mid-batch, database connections dropped mid-batch,
the extraction upstream (an OpenAI-compatible server on loopback) failing.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
from sqlalchemy import text

from core.db.migrate import psycopg_url
from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import WorkerProcess, sign_up, wait_for_batch

pytestmark = pytest.mark.slow
TERMINAL = {"needs_review", "approved", "failed"}  # approved: the trust ladder


@pytest.fixture
def quiet_queue(worker):
    """Stop the shared worker so only this test's workers touch the queue; restart it after."""
    worker.stop()
    yield
    worker.start()


def _upload(http, n: int, seed: int):
    headers = sign_up(http)
    cid = http.post("/clients", json={"name": f"Faults {seed}"}, headers=headers).json()["id"]
    docs = [generate_invoice(seed + i, kind="pdf") for i in range(n)]
    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", (d.filename, d.data, "application/pdf")) for d in docs],
        headers=headers,
    )
    assert r.status_code == 201 and r.json()["accepted"] == n, r.text
    return headers, r.json()


def _state(engine, ids):
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(
                text("select id::text, status from public.invoices where id = any(:ids)"),
                {"ids": ids},
            ).all()
        )
        extracted = dict(
            conn.execute(
                text(
                    "select invoice_id::text, count(*) from public.audit_events"
                    " where action = 'status.extracted' and invoice_id = any(:ids) group by 1"
                ),
                {"ids": ids},
            ).all()
        )
        reasons = dict(
            conn.execute(
                text("select id::text, failure_reason from public.invoices where id = any(:ids)"),
                {"ids": ids},
            ).all()
        )
    return statuses, extracted, reasons


def _wait_until(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _assert_exactly_once(engine, ids):
    statuses, extracted, reasons = _state(engine, ids)
    assert set(statuses.values()) <= TERMINAL, statuses
    for invoice_id, status in statuses.items():
        if status == "failed":
            assert reasons[invoice_id], f"{invoice_id} failed without a reason"
        else:
            assert extracted.get(invoice_id) == 1, (invoice_id, extracted.get(invoice_id))
    return statuses


def test_worker_killed_mid_batch_loses_and_doubles_nothing(
    http, engine, api_settings, quiet_queue, tmp_path
):
    headers, upload = _upload(http, 12, seed=500)
    ids = [f["invoice_id"] for f in upload["files"]]
    first = WorkerProcess(api_settings, tmp_path / "w1.log").start()
    _wait_until(
        lambda: sum(_state(engine, ids)[1].values()) >= 2, 120, "the first invoices to be extracted"
    )
    first.kill()  # SIGKILL: no chance to release its job
    statuses, _, _ = _state(engine, ids)
    assert set(statuses.values()) != {"needs_review"}, "killed too late to test anything"
    time.sleep(4)  # longer than --stalled-timeout: the dead worker's heartbeat is now stale
    second = WorkerProcess(api_settings, tmp_path / "w2.log").start()
    try:
        wait_for_batch(http, headers, upload["batch_id"], timeout=240)
    finally:
        second.stop()
    statuses = _assert_exactly_once(engine, ids)
    assert all(s != "failed" for s in statuses.values()), statuses


def test_database_connections_dropped_mid_batch(http, engine, api_settings, quiet_queue, tmp_path):
    _, upload = _upload(http, 10, seed=600)
    ids = [f["invoice_id"] for f in upload["files"]]
    dbname = engine.url.database
    workers = [WorkerProcess(api_settings, tmp_path / "w.log").start()]
    admin = psycopg_url(engine.url.render_as_string(hide_password=False))
    try:
        _wait_until(lambda: sum(_state(engine, ids)[1].values()) >= 1, 120, "processing to start")
        for _ in range(3):
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity"
                    " where datname = %s and pid <> pg_backend_pid()",
                    (dbname,),
                )
            time.sleep(1.0)
            if workers[-1].proc.poll() is not None:  # a supervisor would restart it; so do we
                workers.append(WorkerProcess(api_settings, tmp_path / "w.log").start())
        deadline = time.time() + 240
        while time.time() < deadline:
            statuses, _, _ = _state(engine, ids)
            if set(statuses.values()) <= TERMINAL:
                break
            if workers[-1].proc.poll() is not None:
                workers.append(WorkerProcess(api_settings, tmp_path / "w.log").start())
            time.sleep(0.5)
    finally:
        for w in workers:
            w.stop()
    statuses = _assert_exactly_once(engine, ids)
    assert sum(s != "failed" for s in statuses.values()) >= 8, statuses


class _FailingOpenAI(BaseHTTPRequestHandler):
    """An OpenAI-compatible upstream that is down: every call answers 503."""

    calls = 0

    def do_POST(self):
        type(self).calls += 1
        body = b'{"error": {"message": "upstream overloaded", "type": "server_error"}}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_extraction_upstream_failing_falls_back_and_says_so(
    http, engine, api_settings, quiet_queue, tmp_path
):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    headers, upload = _upload(http, 3, seed=700)
    ids = [f["invoice_id"] for f in upload["files"]]
    w = WorkerProcess(
        api_settings,
        tmp_path / "w.log",
        INVOICEFLOW_EXTRACTION_BACKEND="openai",
        OPENAI_API_KEY="sk-test-loopback-0123456789",
        OPENAI_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/v1",
        INVOICEFLOW_OPENAI_MAX_RETRIES="1",
        INVOICEFLOW_OPENAI_TIMEOUT_SECONDS="5",
        INVOICEFLOW_LLM_ROUTING_MIN_CONFIDENCE="1.0",  # every invoice must reach the LLM here
    ).start()
    try:
        wait_for_batch(http, headers, upload["batch_id"], timeout=240)
    finally:
        w.stop()
        server.shutdown()
    assert _FailingOpenAI.calls >= 3  # the upstream really was asked, and really failed
    _assert_exactly_once(engine, ids)
    with engine.connect() as conn:
        metas = (
            conn.execute(
                text(
                    "select meta from public.audit_events where action = 'status.extracted'"
                    " and invoice_id = any(:ids)"
                ),
                {"ids": ids},
            )
            .scalars()
            .all()
        )
    assert len(metas) == 3
    assert all(m["fallback_reason"] for m in metas), metas


def test_sigterm_lets_the_running_job_finish_and_leaves_the_rest_queued(
    http, engine, api_settings, quiet_queue, tmp_path
):
    _, upload = _upload(http, 6, seed=800)
    ids = [f["invoice_id"] for f in upload["files"]]
    w = WorkerProcess(api_settings, tmp_path / "w.log").start()

    def started():
        statuses = _state(engine, ids)[0]
        return any(s != "received" for s in statuses.values())

    _wait_until(started, 120, "the worker to take a job")
    w.proc.terminate()  # SIGTERM: stop fetching, finish the current job
    assert w.proc.wait(60) == 0
    statuses = _state(engine, ids)[0]
    assert "extracting" not in statuses.values(), statuses  # nothing left half-done
    assert any(s in TERMINAL for s in statuses.values())
    with engine.connect() as conn:
        doing = conn.execute(
            text("select count(*) from procrastinate_jobs where status = 'doing'")
        ).scalar_one()
    assert doing == 0
    # whatever is left is picked up by the next worker
    w2 = WorkerProcess(api_settings, tmp_path / "w2.log").start()
    try:
        _wait_until(lambda: set(_state(engine, ids)[0].values()) <= TERMINAL, 240, "the rest")
    finally:
        w2.stop()
    _assert_exactly_once(engine, ids)
