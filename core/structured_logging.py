"""Process-wide logging from settings: level and JSON lines, for every entrypoint.

``configure_logging(settings.log_level, json_logs=settings.log_json)`` is called once by each
entrypoint (worker, migration CLI, console); the API adds its request id on top. One JSON object
per line on stdout, so container log drivers (awslogs, json-file) and CloudWatch Logs Insights
read fields directly. Extra fields whose names look secret are redacted; messages never carry
document contents by convention (callers log ids and counts, not text).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

# uvicorn adds `color_message` (the message with ANSI colours) to its records: noise in JSON.
_STD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
_SECRET_NAME = re.compile(r"(authorization|password|secret|token|api[_-]?key|cookie)", re.I)
_MARK = "_invoiceflow_handler"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Periodic housekeeping whose every run is not news: its job lines are logged at DEBUG.
ROUTINE_TASKS = frozenset({"invoiceflow.queue_maintenance"})


def wants_json(setting: bool | None, stream: Any = None) -> bool:
    """JSON lines when asked (``True``), text when asked (``False``); unset: text on a terminal,
    JSON when stdout is a pipe or file or the process runs in a container."""
    if setting is not None:
        return setting
    in_container = Path("/.dockerenv").exists() or "KUBERNETES_SERVICE_HOST" in os.environ
    isatty = getattr(stream or sys.stdout, "isatty", lambda: False)
    return in_container or not isatty()


class RoutineFilter(logging.Filter):
    """Lower the job-queue lines of routine periodic tasks to DEBUG (and drop them below the
    root's level): a queue-maintenance run every 20 s must not bury what an operator needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = getattr(record, "job", None)
        task = job.get("task_name") if isinstance(job, dict) else None
        if task in ROUTINE_TASKS and record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key in _STD_ATTRS or key.startswith("_"):
                continue
            doc[key] = "[redacted]" if _SECRET_NAME.search(key) else value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure_logging(
    level: str = "INFO",
    *,
    json_logs: bool | None = True,
    formatter: logging.Formatter | None = None,
    filters: tuple[logging.Filter, ...] = (),
) -> None:
    """Send the root logger to stdout at ``level``, as JSON lines or text; idempotent."""
    name = level.strip().upper()
    if name not in LEVELS:
        raise ValueError(f"INVOICEFLOW_LOG_LEVEL must be one of {', '.join(LEVELS)}, got {level!r}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    setattr(handler, _MARK, True)
    handler.addFilter(RoutineFilter())
    for log_filter in filters:
        handler.addFilter(log_filter)
    handler.setFormatter(
        formatter
        or (
            JsonLineFormatter()
            if wants_json(json_logs)
            else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    )
    root.addHandler(handler)
    root.setLevel(name)
