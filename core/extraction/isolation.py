"""Extraction in a child process with a CPU, wall-clock and memory budget (issue 11, F15 and F4).

A worker hands each file to a long-lived child process (one per concurrent job, a fresh
``python -m core.extraction.isolation`` that inherits no threads, pools or connections, talking
over a socket pair) and waits for the result:

- CPU: before each job the child sets its soft ``RLIMIT_CPU`` to what it has used so far plus
  ``extraction_cpu_seconds``; the kernel's SIGXCPU becomes ``ExtractionBudgetExceeded`` in the
  child, which survives and takes the next job.
- Wall clock: a job that has not answered after ``extraction_wall_seconds`` (a library stuck in C
  code never sees SIGXCPU's handler) has its child killed.
- Memory: ``RLIMIT_AS`` caps the child's address space at ``extraction_memory_mb``; a bomb that
  gets past the decompression caps fails an allocation there, or gets the child killed, and
  only the child: the worker, its database connections and its heartbeat live on.

The OCR models stay loaded in the child between jobs, so text-layer throughput is kept. The
child builds its pipeline with the factory it is given (the composition root's), so caching and
extractor choice are exactly those of an in-process pipeline.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from core import errors
from core.config import Settings
from core.errors import ExtractionBudgetExceeded, InvoiceFlowError
from core.extraction.schema import Extraction

log = logging.getLogger(__name__)
PipelineFactory = Callable[[Settings], Any]


@dataclass(frozen=True)
class Budget:
    """Per-job limits of an isolated extraction (0 switches one off)."""

    cpu_seconds: int
    wall_seconds: float
    memory_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Budget:
        return cls(
            cpu_seconds=settings.extraction_cpu_seconds,
            wall_seconds=float(settings.extraction_wall_seconds),
            memory_bytes=settings.extraction_memory_mb * 1024 * 1024,
        )


class _CpuBudget(BaseException):
    """Raised in the child by SIGXCPU (a BaseException, so no library swallows it)."""


def _on_sigxcpu(signum: int, frame: Any) -> None:
    raise _CpuBudget


def _child_main(
    conn: Connection, settings: Settings, factory: PipelineFactory, budget: Budget
) -> None:
    """The child's loop: one job per message until the parent closes the pipe."""
    if budget.memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (budget.memory_bytes, budget.memory_bytes))
    signal.signal(signal.SIGXCPU, _on_sigxcpu)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when its children stop
    pipeline = factory(settings)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the worker is gone
        if job is None:
            return
        data, filename, options = job
        _set_cpu_budget(budget.cpu_seconds)
        try:
            result = pipeline.extract(data, filename=filename, **options)
            conn.send(("ok", result.model_dump_json()))  # generic field models do not pickle
        except _CpuBudget:
            conn.send(("cpu", budget.cpu_seconds))
        except MemoryError:
            conn.send(("memory", budget.memory_bytes))
            return  # a failed allocation may have left a library half-way: start afresh
        except InvoiceFlowError as exc:
            conn.send(("error", type(exc).__name__, exc.message, exc.code, _plain(exc.details)))
        except Exception as exc:  # a bug costs this file, not the worker
            conn.send(("crash", type(exc).__name__, str(exc)[:500]))
        finally:
            _set_cpu_budget(0)


def _set_cpu_budget(seconds: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if seconds <= 0:
        soft = hard
    else:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime) + seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in details.items()
    }


class _Child:
    """One child process and the parent's end of its socket."""

    def __init__(self, settings: Settings, factory: PipelineFactory, budget: Budget) -> None:
        # A plain interpreter, not multiprocessing's spawn: that would re-run the parent's
        # __main__ in the child, whatever it is (a test runner's, a script's).
        ours, theirs = socket.socketpair()
        env = dict(os.environ)  # the installed project: ``-m`` finds core as the parent did
        with theirs:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "core.extraction.isolation", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                env=env,
                stdin=subprocess.DEVNULL,
            )
        self.conn = Connection(ours.detach())
        self.conn.send((settings, factory, budget))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def exit_code(self, wait: float) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(wait)
        return self.proc.returncode

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.kill()
            self.proc.wait(10)
        with contextlib.suppress(Exception):
            self.conn.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
            self.proc.wait(5)
        self.kill()


class IsolatedExtraction:
    """The extraction pipeline's ``extract``, run in budgeted child processes; thread-safe."""

    def __init__(
        self, settings: Settings, factory: PipelineFactory, budget: Budget | None = None
    ) -> None:
        self.settings, self._factory = settings, factory
        self.budget = budget or Budget.from_settings(settings)
        self._idle: queue.SimpleQueue[_Child] = queue.SimpleQueue()
        self._all: set[_Child] = set()
        self._lock = threading.Lock()
        self._closed = False

    def _take(self) -> _Child:
        while True:
            try:
                child = self._idle.get_nowait()
            except queue.Empty:
                child = _Child(self.settings, self._factory, self.budget)
                with self._lock:
                    self._all.add(child)
                return child
            if child.alive():
                return child
            self._drop(child)

    def _drop(self, child: _Child) -> None:
        child.kill()
        with self._lock:
            self._all.discard(child)

    def extract(self, data: bytes, *, filename: str | None = None, **options: Any) -> Extraction:
        """Extract ``data`` in a child; ``ExtractionBudgetExceeded`` when a budget runs out."""
        if self._closed:
            raise RuntimeError("the isolated extraction was closed")
        child = self._take()
        try:
            child.conn.send((data, filename, options))
            wall = self.budget.wall_seconds or None
            if not child.conn.poll(wall):
                self._drop(child)
                raise ExtractionBudgetExceeded(
                    f"reading the file took longer than {self.budget.wall_seconds:.0f} s",
                    budget="wall_seconds",
                    limit=self.budget.wall_seconds,
                )
            reply = child.conn.recv()
        except (EOFError, OSError) as exc:
            code = child.exit_code(5)
            self._drop(child)
            if code is not None and code > 0:  # it exited on its own: a bug, not the file
                raise RuntimeError(f"the extraction process exited with code {code}") from exc
            # Killed by a signal: the kernel's OOM killer or SIGKILL, SIGXCPU, an abort on a
            # failed allocation under RLIMIT_AS.
            raise ExtractionBudgetExceeded(
                "reading the file used more memory or CPU than allowed "
                f"(the extraction process ended with {_describe_exit(code)})",
                budget="memory_or_cpu",
            ) from exc
        except BaseException:
            self._drop(child)  # interrupted mid-job: its answer would go to the next caller
            raise
        if reply[0] == "memory":
            self._drop(child)
        else:
            self._idle.put(child)
        return _result(reply, self.budget)

    def close(self) -> None:
        """Stop every child (idempotent)."""
        self._closed = True
        with self._lock:
            children, self._all = list(self._all), set()
        for child in children:
            child.close()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _result(reply: tuple[Any, ...], budget: Budget) -> Extraction:
    kind = reply[0]
    if kind == "ok":
        return Extraction.model_validate_json(reply[1])
    if kind == "cpu":
        raise ExtractionBudgetExceeded(
            f"reading the file used more than {budget.cpu_seconds} s of CPU",
            budget="cpu_seconds",
            limit=budget.cpu_seconds,
        )
    if kind == "memory":
        raise ExtractionBudgetExceeded(
            f"reading the file needed more than {budget.memory_bytes // 2**20} MiB of memory",
            budget="memory_mb",
            limit=budget.memory_bytes // 2**20,
        )
    if kind == "error":
        _, name, message, code, details = reply
        cls = getattr(errors, name, InvoiceFlowError)
        if not (isinstance(cls, type) and issubclass(cls, InvoiceFlowError)):
            cls = InvoiceFlowError
        try:
            error = cls(message, code=code, **details)
        except TypeError:  # a class with required keywords of its own
            error = InvoiceFlowError(message, code=code, **details)
        raise error
    _, name, message = reply
    raise RuntimeError(f"extraction failed in the child process: {name}: {message}")


def _child_entry(fd: int) -> None:
    """``python -m core.extraction.isolation <fd>``: receive the setup, then serve jobs."""
    conn = Connection(fd)
    try:
        settings, factory, budget = conn.recv()
    except (EOFError, OSError):
        return
    _child_main(conn, settings, factory, budget)


if __name__ == "__main__":
    _child_entry(int(sys.argv[1]))
