"""Uploads recorded in one transaction: storage row, file, invoice, audit event and job together.

Checks the two SQL functions behind it against the real database and its policies:
``public.record_upload`` (security invoker) and ``public.enqueue_invoice_processing`` (the one
narrow, security-definer door from a user session into the job table).
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from sqlalchemy import text

from core.db.job_repo import PROCESS_TASK
from core.db.session import user_session
from core.errors import Forbidden, NotFound
from core.jobs.queue import QUEUE
from core.workflow import uploads
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, invoice_pdf


def _jobs_for(engine, invoice_id):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "select task_name, queue_name, priority, lock, queueing_lock, args, status"
                " from public.procrastinate_jobs where args->>'invoice_id' = :i"
            ),
            {"i": str(invoice_id)},
        ).all()


def _stored_files(settings) -> list:
    root = settings.data_dir / "storage"
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_one_upload_commits_invoice_audit_and_the_same_job_the_queue_would_make(
    services, engine, role_users
):
    operator = role_users.members["operator"]
    result = uploads.upload_files(
        services=services,
        user=as_user(operator),
        client_id=role_users.id,
        files=[UploadFile("one.pdf", invoice_pdf(f"TX-{uuid.uuid4().hex[:6]}"))],
        batch_name="morning",
    )
    (outcome,) = result.files
    assert outcome.status == "accepted"

    (job,) = _jobs_for(engine, outcome.invoice_id)
    task, queue, priority, lock, queueing_lock, args, status = job
    assert (task, queue, status) == (PROCESS_TASK, QUEUE, "todo")
    assert lock == queueing_lock == f"invoice:{outcome.invoice_id}"
    assert priority == -1  # the only invoice of this client waiting
    assert args == {
        "invoice_id": str(outcome.invoice_id),
        "client_id": str(role_users.id),
        "user_id": str(operator.id),  # the worker acts as the uploader
        "batch_id": str(result.batch_id),
    }
    with engine.connect() as conn:
        batch = conn.execute(
            text("select name, file_count, status from public.batches where id = :b"),
            {"b": result.batch_id},
        ).one()
        audit = conn.execute(
            text(
                "select actor_id, after->>'status', meta->>'batch_id' from public.audit_events"
                " where invoice_id = :i and action = 'invoice.uploaded'"
            ),
            {"i": outcome.invoice_id},
        ).one()
    assert tuple(batch) == ("morning", 1, "processing")
    assert tuple(audit) == (operator.id, "received", str(result.batch_id))


def test_a_duplicate_keeps_the_first_file_and_leaves_no_extra_bytes(
    services, test_settings, role_users
):
    operator = as_user(role_users.members["operator"])
    pdf = invoice_pdf(f"DUP-{uuid.uuid4().hex[:6]}")
    first = uploads.upload_files(
        services=services, user=operator, client_id=role_users.id, files=[UploadFile("a.pdf", pdf)]
    )
    before = _stored_files(test_settings)
    again = uploads.upload_files(
        services=services, user=operator, client_id=role_users.id, files=[UploadFile("b.pdf", pdf)]
    )
    assert again.files[0].status == "duplicate"
    assert again.files[0].invoice_id == first.files[0].invoice_id
    assert sorted(_stored_files(test_settings)) == sorted(before)  # rolled back and discarded
    # The batch of an upload with nothing accepted is still recorded, already done.
    with user_session(services.engine, operator.claims) as s:
        status = s.execute(
            text("select status from public.batches where id = :b"), {"b": again.batch_id}
        ).scalar_one()
    assert status == "done"


@pytest.mark.parametrize(("role", "error"), [("viewer", Forbidden), ("analyst", Forbidden)])
def test_read_only_members_cannot_upload_and_nothing_is_written(
    services, test_settings, role_users, role, error
):
    before = _stored_files(test_settings)
    with pytest.raises(error):
        uploads.upload_files(
            services=services,
            user=as_user(role_users.members[role]),
            client_id=role_users.id,
            files=[UploadFile("x.pdf", invoice_pdf("RO-1"))],
        )
    assert _stored_files(test_settings) == before


def test_non_members_get_not_found(services, make_user, role_users):
    with pytest.raises(NotFound):
        uploads.upload_files(
            services=services,
            user=as_user(make_user()),
            client_id=role_users.id,
            files=[UploadFile("x.pdf", invoice_pdf("NM-1"))],
        )


def _call_enqueue(engine, user, invoice_id):
    with user_session(engine, user.claims) as s:
        return s.execute(
            text("select public.enqueue_invoice_processing(:i)"), {"i": invoice_id}
        ).scalar_one()


def test_the_enqueue_door_only_opens_for_writers_of_a_received_invoice(
    services, engine, role_users, make_user
):
    operator = role_users.members["operator"]
    result = uploads.upload_files(
        services=services,
        user=as_user(operator),
        client_id=role_users.id,
        files=[UploadFile("q.pdf", invoice_pdf(f"Q-{uuid.uuid4().hex[:6]}"))],
        process=False,
    )
    invoice_id = result.files[0].invoice_id
    assert _jobs_for(engine, invoice_id) == []

    for outsider in (role_users.members["viewer"], make_user()):
        with pytest.raises(Forbidden):
            _call_enqueue(engine, outsider, invoice_id)
    assert _jobs_for(engine, invoice_id) == []

    assert _call_enqueue(engine, operator, invoice_id) is not None
    assert _call_enqueue(engine, operator, invoice_id) is None  # already waiting: no second job
    assert len(_jobs_for(engine, invoice_id)) == 1

    with engine.begin() as conn:  # once it left 'received', users cannot queue it again
        conn.execute(
            text("update public.invoices set status = 'failed' where id = :i"), {"i": invoice_id}
        )
        conn.execute(
            text("delete from public.procrastinate_jobs where args->>'invoice_id' = :i"),
            {"i": str(invoice_id)},
        )
    with pytest.raises(Forbidden):
        _call_enqueue(engine, operator, invoice_id)


def test_users_still_cannot_touch_the_job_table_directly(engine, role_users):
    owner = role_users.members["owner"]
    args = json.dumps({"invoice_id": str(uuid.uuid4())})
    with pytest.raises(Forbidden), user_session(engine, owner.claims) as s:
        s.execute(
            text(
                "insert into public.procrastinate_jobs (queue_name, task_name, args)"
                " values ('invoices', 'anything', cast(:a as jsonb))"
            ),
            {"a": args},
        )


def test_page_counting_is_safe_in_the_api_thread_pool():
    # Uploads run in a thread pool and count PDF pages with PDFium, which is not thread-safe:
    # without the process-wide lock, concurrent opens damaged PDFium's state and every later
    # PDF of that process came back "corrupt" (seen under load: half the uploads refused).
    from concurrent.futures import ThreadPoolExecutor

    from core.demo.synthetic_invoices import generate_invoice

    base = generate_invoice(1, kind="pdf").data
    docs = [base + b"\n%" + uuid.uuid4().hex.encode() + b"0" * 100_000 for _ in range(1500)]

    def check(pdf: bytes) -> str | None:
        try:
            uploads._check_pages(pdf, "application/pdf", max_pages=10)
        except Exception as exc:  # the assertion below names what went wrong
            return type(exc).__name__
        return None

    with ThreadPoolExecutor(max_workers=16) as pool:
        failures = [r for r in pool.map(check, docs) if r is not None]
    assert failures == []


def test_our_sql_never_writes_procrastinates_tables(engine):
    """One enqueue path: our functions queue through procrastinate_defer_jobs_v1, never by
    writing its tables themselves (an insert, update or delete of procrastinate_*)."""
    with engine.connect() as conn:
        sources = conn.execute(
            text(
                "select p.proname, p.prosrc from pg_proc p"
                " join pg_namespace n on n.oid = p.pronamespace"
                " where n.nspname = 'public' and p.proname not like 'procrastinate\\_%'"
            )
        ).all()
    writes = re.compile(
        r"(insert\s+into|update|delete\s+from)\s+(public\.)?procrastinate_", re.IGNORECASE
    )
    assert [name for name, src in sources if writes.search(src or "")] == []
    door = next(src for name, src in sources if name == "enqueue_invoice_processing")
    assert "procrastinate_defer_jobs_v1" in door
