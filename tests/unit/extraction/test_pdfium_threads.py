"""PDFium is not thread-safe: loading and rendering from many threads must not crash.

Runs in a subprocess because the failure mode is a segfault, which would kill pytest itself.
Without ``PDFIUM_LOCK`` this script crashed on every run (exit -11).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
from concurrent.futures import ThreadPoolExecutor
from core.demo.synthetic_invoices import generate_invoice
from core.extraction.document import load_document, render_page_image
docs = [generate_invoice(600 + i, n_items=15).data for i in range(6)]
def work(i):
    d = load_document(docs[i % 6], max_bytes=10**8, max_pages=50, ocr=False)
    render_page_image(d, 1, dpi=72)
    return d.page_count
with ThreadPoolExecutor(8) as pool:
    print(sum(pool.map(work, range(60))))
"""


def test_many_threads_load_and_render_pdfs_without_crashing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) >= 60
