"""Logging from settings: JSON lines, redacted secrets, a validated level, one handler."""

from __future__ import annotations

import io
import json
import logging

import pytest

from core.structured_logging import JsonLineFormatter, configure_logging


@pytest.fixture(autouse=True)
def _restore_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_each_record_is_one_json_object_with_extras_and_redacted_secrets() -> None:
    record = logging.makeLogRecord(
        {
            "name": "invoiceflow.worker",
            "levelname": "INFO",
            "levelno": 20,
            "msg": "job %s done",
            "args": ("42",),
            "invoice_id": "abc",
            "api_key": "sk-live",
            "password": "hunter2",
        }
    )
    doc = json.loads(JsonLineFormatter().format(record))
    assert doc["msg"] == "job 42 done" and doc["logger"] == "invoiceflow.worker"
    assert doc["level"] == "INFO" and doc["ts"].endswith("Z")
    assert doc["invoice_id"] == "abc"
    assert doc["api_key"] == "[redacted]" and doc["password"] == "[redacted]"


def test_configure_logging_applies_level_and_format_once(capsys) -> None:
    configure_logging("warning", json_logs=True)
    configure_logging("WARNING", json_logs=True)  # idempotent: still one handler of ours
    log = logging.getLogger("invoiceflow.test")
    log.info("hidden")
    log.warning("shown", extra={"batch": 7})
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln]
    assert len(lines) == 1
    assert json.loads(lines[0])["batch"] == 7


def test_text_format_when_json_is_off(capsys) -> None:
    configure_logging("INFO", json_logs=False)
    logging.getLogger("invoiceflow.test").info("plain")
    out = capsys.readouterr().out
    assert "INFO invoiceflow.test: plain" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.splitlines()[-1])


def test_unknown_level_is_refused_with_the_variable_name() -> None:
    with pytest.raises(ValueError, match="INVOICEFLOW_LOG_LEVEL"):
        configure_logging("LOUD")


def test_exceptions_are_kept_in_one_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    log = logging.getLogger("invoiceflow.exc")
    log.addHandler(handler)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed")
    log.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    assert "RuntimeError: boom" in json.loads(line)["exc"]
