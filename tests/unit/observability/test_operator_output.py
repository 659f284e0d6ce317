"""`make run`'s terminal (issue 13, defect 22): text on a terminal, JSON when asked or piped,
routine periodic work at DEBUG, and one short start-up block with URLs and the demo sign-in."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from core.config import Settings
from core.demo import serve
from core.structured_logging import RoutineFilter, wants_json


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_on_a_terminal_json_when_asked_or_piped(monkeypatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert wants_json(None, _Tty()) is (Path("/.dockerenv").exists())
    assert wants_json(None, io.StringIO()) is True  # a pipe or a file: JSON lines
    assert wants_json(True, _Tty()) is True and wants_json(False, io.StringIO()) is False
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    assert wants_json(None, _Tty()) is True  # in a container


def test_routine_job_lines_go_to_debug_and_others_stay() -> None:
    def record(task: str) -> logging.LogRecord:
        r = logging.makeLogRecord({"msg": f"Starting job {task}()", "levelno": logging.INFO})
        r.levelname = "INFO"
        r.job = {"task_name": task}
        return r

    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.INFO)
    try:
        routine = record("invoiceflow.queue_maintenance")
        assert RoutineFilter().filter(routine) is False and routine.levelname == "DEBUG"
        assert RoutineFilter().filter(record("invoiceflow.process_invoice")) is True
        root.setLevel(logging.DEBUG)
        assert RoutineFilter().filter(record("invoiceflow.queue_maintenance")) is True
    finally:
        root.setLevel(old)


def test_the_start_up_block_names_console_api_docs_and_the_demo_sign_in(tmp_path) -> None:
    (tmp_path / "demo_credentials.json").write_text(
        json.dumps({"email": "demo@invoiceflow.local", "password": "p-secret"})
    )
    comps = serve.components(8000, 8501)
    children = {
        c.name: serve._Child(c, proc=None, started=0.0)  # type: ignore[arg-type]
        for c in comps
    }
    block = serve.ready_block(Settings(data_dir=tmp_path), children, ())
    assert block.splitlines()[1:] == [
        "InvoiceFlow is running",
        "  Console   http://127.0.0.1:8501",
        "  API docs  http://127.0.0.1:8000/docs",
        "  Sign in   demo@invoiceflow.local / p-secret",
        "Ctrl-C stops everything.",
    ]
    assert serve.probes(children) == {
        "api": "http://127.0.0.1:8000/api/v1/health",
        "console": "http://127.0.0.1:8501",
    }
    console = next(c for c in comps if c.name == "console")
    assert "--client.toolbarMode" in console.argv and "minimal" in console.argv
    assert console.argv[console.argv.index("--server.maxUploadSize") + 1] == "25"
