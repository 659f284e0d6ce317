"""The job queue against the real database with a real (in-process) procrastinate worker."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from core.jobs.worker import run_worker_async
from core.workflow import uploads
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, invoice_pdf


def _drain(services) -> None:
    asyncio.run(
        run_worker_async(services, wait=False, install_signal_handlers=False, stalled_seconds=5)
    )


def _first_extracting_order(engine, invoice_ids):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select invoice_id from public.audit_events where action = 'status.extracting'"
                " and invoice_id = any(:ids) order by id"
            ),
            {"ids": list(invoice_ids)},
        ).all()
    return [r[0] for r in rows]


def test_worker_processes_every_upload_once_and_one_client_cannot_starve_another(
    services, make_user, make_client, engine
):
    big_user, small_user = make_user(), make_user()
    big, small = make_client(big_user), make_client(small_user)
    big_op, small_op = as_user(big_user), as_user(small_user)
    big_batch = uploads.upload_files(
        services=services,
        user=big_op,
        client_id=big.id,
        files=[UploadFile(f"{i}.pdf", invoice_pdf(f"BIG-{i}")) for i in range(8)],
    )
    small_batch = uploads.upload_files(
        services=services,
        user=small_op,
        client_id=small.id,
        files=[UploadFile("s.pdf", invoice_pdf("SMALL-1"))],
    )
    _drain(services)

    big_ids = [f.invoice_id for f in big_batch.files]
    small_id = small_batch.files[0].invoice_id
    order = _first_extracting_order(engine, [*big_ids, small_id])
    assert sorted(map(str, order)) == sorted(map(str, [*big_ids, small_id]))  # each exactly once
    assert order.index(small_id) <= 2  # enqueued after 8 others, served among the first three

    with engine.connect() as conn:
        statuses = conn.execute(
            text("select status, count(*) from public.invoices where id = any(:ids) group by 1"),
            {"ids": [*big_ids, small_id]},
        ).all()
        batch_status = conn.execute(
            text("select status from public.batches where id = :b"), {"b": big_batch.batch_id}
        ).scalar_one()
    assert sum(n for s, n in statuses if s in ("needs_review", "approved")) == 9
    assert batch_status == "done"


def test_failed_extraction_marks_invoice_failed_with_reason_after_retries(
    services, make_user, make_client, engine
):
    from core.errors import CorruptDocument

    user = make_user()
    client = make_client(user)
    result = uploads.upload_files(
        services=services,
        user=as_user(user),
        client_id=client.id,
        files=[UploadFile("x.pdf", invoice_pdf("BROKEN-1"))],
    )
    services.extraction.fail_with = CorruptDocument("cannot parse page 1")
    try:
        _drain(services)
    finally:
        services.extraction.fail_with = None
    with engine.connect() as conn:
        status, reason = conn.execute(
            text("select status, failure_reason from public.invoices where id = :i"),
            {"i": result.files[0].invoice_id},
        ).one()
    assert (status, reason) == ("failed", "corrupt_document")
