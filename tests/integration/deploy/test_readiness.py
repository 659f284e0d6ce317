"""/ready's probes against the real database, queue and local storage, up and down."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import create_engine

from core.bootstrap import build_services
from core.workflow.readiness import check_readiness


@pytest.fixture
def services(test_settings, engine):
    built = build_services(test_settings, engine=engine)
    yield built
    built.close()


def test_all_three_dependencies_ready_on_a_healthy_stack(services) -> None:
    status = check_readiness(services)
    assert set(status) == {"database", "storage", "queue"}
    assert all(s.ok for s in status.values()), status
    assert all(s.detail.startswith("ok in ") for s in status.values())


def test_database_and_queue_down_are_reported_without_connection_details(services) -> None:
    dead = create_engine("postgresql+psycopg://u:secret-pw@127.0.0.1:9/x", pool_pre_ping=False)
    broken = dataclasses.replace(services, engine=dead)
    original, services.jobs.engine = services.jobs.engine, dead  # the queue's own engine too
    try:
        status = check_readiness(broken)
    finally:
        services.jobs.engine = original
        dead.dispose()
    assert not status["database"].ok and not status["queue"].ok
    assert status["storage"].ok
    for component in status.values():
        assert "secret-pw" not in component.detail and "127.0.0.1" not in component.detail


def test_unwritable_local_storage_is_not_ready(services, tmp_path, test_settings) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage directory should be")
    settings = test_settings.model_copy(update={"data_dir": blocker})
    from core.storage.local_store import LocalFileStore

    broken = dataclasses.replace(services, storage=LocalFileStore(services.engine, settings))
    status = check_readiness(broken)
    assert not status["storage"].ok and status["storage"].detail == "ConfigurationError"
    assert status["database"].ok and status["queue"].ok
