"""Queue gauges on /metrics come from the real job table: depth by status and oldest wait."""

from __future__ import annotations

import time

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text

from api.queue_metrics import QueueCollector
from core.bootstrap import build_services
from core.workflow import uploads
from tests.integration.workflow.conftest import as_user, invoice_pdf


@pytest.fixture
def services(test_settings, engine):
    built = build_services(test_settings, engine=engine)
    yield built
    built.close()


def _scrape(collector: QueueCollector) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(collector)
    values = {}
    for line in generate_latest(registry).decode().splitlines():
        if line.startswith("invoiceflow_queue"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_gauges_count_waiting_jobs_and_age_the_oldest(
    services, engine, make_user, make_client
) -> None:
    collector = QueueCollector(services.jobs.overview)
    before = _scrape(collector)
    assert before["invoiceflow_queue_oldest_waiting_seconds"] >= 0
    owner = make_user()
    client = make_client(owner)
    ids: list[str] = []
    try:
        upload = uploads.upload_files(  # three invoices, three jobs (queued by the upload)
            services=services,
            user=as_user(owner),
            client_id=client.id,
            files=[uploads.UploadFile(f"{n}.pdf", invoice_pdf(f"Q-{n}")) for n in range(3)],
        )
        ids = [str(f.invoice_id) for f in upload.files]
        assert upload.accepted == 3
        time.sleep(1.2)
        values = _scrape(collector)
    finally:  # the database is shared with other tests: leave no job for their workers
        with engine.begin() as conn:
            conn.execute(
                text("delete from public.procrastinate_jobs where args->>'invoice_id' = any(:ids)"),
                {"ids": ids},
            )
    todo = 'invoiceflow_queue_jobs{status="todo"}'
    assert values[todo] == before[todo] + 3
    assert values["invoiceflow_queue_oldest_waiting_seconds"] >= 1.0
    assert _scrape(collector)[todo] == before[todo]


def test_scrape_survives_a_broken_database(services) -> None:
    def broken() -> tuple[dict[str, int], float]:
        raise ConnectionError("database down")

    assert _scrape(QueueCollector(broken)) == {}  # no series: the missing data is the alarm
