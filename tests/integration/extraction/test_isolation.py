"""Issue 11, F15 and F4: extraction in a budgeted child process (real processes, real OCR).

A file that needs more CPU than the job's budget fails with ``extraction_budget_exceeded`` and
the child lives on for the next file; a child killed from outside (the OOM killer, kill -9) costs
that file only, and the next file gets a fresh child.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import pytest

from core.bootstrap import build_extraction
from core.config import Settings
from core.demo.synthetic_invoices import generate_invoice
from core.errors import CorruptDocument, ExtractionBudgetExceeded
from core.extraction.isolation import Budget, IsolatedExtraction

pytestmark = [pytest.mark.security, pytest.mark.slow]


@pytest.fixture
def isolated(tmp_path) -> Iterator[IsolatedExtraction]:
    # 4 CPU seconds: room for a text-layer file's first run (imports included), not for OCR of
    # four scanned pages (each costs seconds of CPU, whatever the machine's load).
    settings = Settings(extraction_backend="offline", data_dir=tmp_path)  # type: ignore[call-arg]
    extraction = IsolatedExtraction(
        settings, build_extraction, Budget(cpu_seconds=4, wall_seconds=300, memory_bytes=3 << 30)
    )
    yield extraction
    extraction.close()


def _four_scanned_pages() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for seed in range(32, 36):
        for page in PdfReader(io.BytesIO(generate_invoice(seed, kind="scan_pdf").data)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_file_over_the_cpu_budget_fails_and_the_child_takes_the_next(isolated) -> None:
    text = generate_invoice(31, kind="pdf").data
    assert isolated.extract(text, filename="a.pdf").total.value is not None  # child warmed up
    scan = _four_scanned_pages()
    with pytest.raises(ExtractionBudgetExceeded) as err:
        isolated.extract(scan, filename="scan.pdf")
    assert err.value.details["budget"] == "cpu_seconds"
    assert isolated.extract(generate_invoice(33, kind="pdf").data).total.value is not None


def test_typed_errors_cross_the_process_boundary(isolated) -> None:
    with pytest.raises(CorruptDocument) as err:
        isolated.extract(b"%PDF-1.7\n" + bytes(range(256)) * 8, filename="junk.pdf")
    assert err.value.code == "corrupt_document"


def test_a_killed_child_costs_one_file_and_the_next_gets_a_new_child(tmp_path) -> None:
    settings = Settings(extraction_backend="offline", data_dir=tmp_path)  # type: ignore[call-arg]
    isolated = IsolatedExtraction(settings, build_extraction, Budget(0, 120, 3 << 30))
    isolated.extract(generate_invoice(34, kind="pdf").data)
    (child,) = isolated._all
    scan = generate_invoice(35, kind="scan_pdf").data

    def kill_soon() -> None:
        time.sleep(1.0)
        child.proc.kill()  # as the kernel's OOM killer would

    threading.Thread(target=kill_soon, daemon=True).start()
    with pytest.raises(ExtractionBudgetExceeded) as err:
        isolated.extract(scan, filename="scan.pdf")
    assert "SIGKILL" in err.value.message
    try:
        assert isolated.extract(generate_invoice(36, kind="pdf").data).total.value is not None
        assert child not in isolated._all
    finally:
        isolated.close()
