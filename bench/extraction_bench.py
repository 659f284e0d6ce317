"""Extraction benchmark: accuracy per field and source, throughput, OCR time, invoice2data.

Prints figures, asserts nothing. Sections:
  1. Dev sets through the extract contract, before and after (bench/dev_sets.py): ZUGFeRD
     visual path (embedded XML off) and the multilingual set, per field, and per language,
     input kind and document kind; "before" is a recorded or re-measured run of another ref.
  2. ZUGFeRD e-invoice path (embedded XML on), scored as the benchmark README says.
  3. Synthetic set (core.demo.synthetic_invoices): text PDFs and scans, offline pipeline.
  4. Offline throughput on single-page text-layer PDFs, 1 and 2 processes.
  5. OCR seconds per A4 page through the image path, and the OCR engines side by side
     (bench/ocr_engines.py).
  6. invoice2data (PyPI, needs poppler's pdftotext) on the same PDFs in the same run:
     throughput, ours / theirs, and, with only its bundled templates, accuracy.
Dev sets live in ../shared/benchmarks (of this checkout or a folder above it); without them
those sections say so and are skipped. The OpenAI path against the loopback fake, with the
LLM calls that routing saves, is bench/openai_bench.py (same make target).

Run: ``python -m bench.extraction_bench [--quick] [--baseline-ref main]``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench import dev_sets, ocr_engines
from core.demo.synthetic_invoices import generate_invoice
from core.extraction.document import load_document, render_page_image
from core.extraction.einvoice_extractor import EInvoiceExtractor
from core.extraction.evaluation import Tally
from core.extraction.offline_extractor import OfflineExtractor
from core.extraction.validation import validate

ROOT = Path(__file__).resolve().parents[1]
_DATA = dev_sets.benchmarks_dir()
ZUGFERD = (_DATA or ROOT.parent / "shared" / "benchmarks") / "extraction-dev" / "zugferd"
LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 200}


def offline(data: bytes, *, ocr: bool = True, einvoice: bool = False) -> Any:
    """Load + extract + validate, as the pipeline does for the offline path."""
    doc = load_document(data, ocr=ocr, **LIMITS)
    if einvoice and doc.einvoice_xml is not None:
        return validate(EInvoiceExtractor().extract(doc), doc.full_text)
    doc.embedded_xml = None  # visual path: the embedded XML is not looked at
    return validate(OfflineExtractor().extract(doc), doc.full_text)


def print_tally(title: str, tally: Tally, seconds: float, n: int) -> None:
    print(f"\n== {title}: {n} documents, {seconds:.1f} s")
    print(f"header fields exact: {tally.header_accuracy():.3f}")
    for name, hits, total, acc in tally.rows():
        print(f"  {name:<26} {hits:>4}/{total:<4} {acc:.3f}")


def zugferd_section() -> list[Path]:
    truth_file = ZUGFERD / "truth.jsonl"
    if not truth_file.is_file():
        print(f"\n(zugferd dev set not found at {ZUGFERD}; skipped)")
        return []
    rows = [json.loads(x) for x in truth_file.read_text(encoding="utf-8").splitlines() if x]
    # The visual path's before/after figures come from the extract contract (dev_sets).
    for title, einvoice in (("zugferd, e-invoice path (embedded XML on)", True),):
        tally, started = Tally(), time.perf_counter()
        for row in rows:
            result = offline((ZUGFERD / row["file"]).read_bytes(), ocr=False, einvoice=einvoice)
            tally.add(row["file"], result.to_flat_fields(), row)
        print_tally(title, tally, time.perf_counter() - started, len(rows))
        if not einvoice and tally.misses:
            print(f"  misses: {len(tally.misses)} (first 8)")
            for doc, name, got, want in tally.misses[:8]:
                print(f"    {Path(doc).name[:44]:<44} {name:<16} got {got!r} want {want!r}")
    return [ZUGFERD / r["file"] for r in rows]


def synthetic_section(n_pdf: int, n_scan: int) -> None:
    from bench.synthetic_accuracy import print_report, score_synthetic

    def extract(data: bytes, _name: str) -> Any:
        return offline(data)

    started = time.perf_counter()
    report = score_synthetic(extract, n=n_pdf, seed=7, kinds={"pdf": 1.0})
    print(f"\n(synthetic text PDFs took {time.perf_counter() - started:.1f} s)")
    print_report(report, title="synthetic text-layer PDFs, offline")
    if n_scan:
        kinds = {"scan_png": 1.0, "scan_jpeg": 1.0, "scan_tiff": 1.0, "scan_pdf": 1.0}
        report = score_synthetic(extract, n=n_scan, seed=11, kinds=kinds)
        print_report(report, title="synthetic scans (OCR), offline")


RATES: dict[str, float] = {}


def _work(path: str) -> float:
    """Extract one file; return the CPU seconds it took (independent of other load)."""
    started = time.process_time()
    offline(Path(path).read_bytes(), ocr=False)
    return time.process_time() - started


def _i2d_work(path: str) -> dict[str, Any]:
    from invoice2data import extract_data
    from invoice2data.extract.loader import read_templates

    global _TEMPLATES
    if "_TEMPLATES" not in globals():
        logging.disable(logging.CRITICAL)  # it logs one error line per untemplated file
        _TEMPLATES = read_templates()
    try:
        return extract_data(path, templates=_TEMPLATES) or {}
    except Exception:  # its failures are its result: no data
        return {}


def _rate(fn: Callable[[str], Any], paths: list[str], workers: int) -> tuple[float, list[Any]]:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(fn, paths[: workers * 2]))  # warm imports and engines
        started = time.perf_counter()
        results = list(pool.map(fn, paths, chunksize=4))
        return len(paths) / (time.perf_counter() - started), results


def single_page_pdfs(n: int, folder: Path) -> list[str]:
    """``n`` one-page synthetic text PDFs written to ``folder`` (fixtures for throughput)."""
    paths = []
    seed = 0
    while len(paths) < n:
        inv = generate_invoice(5000 + seed, kind="pdf", n_items=4)
        seed += 1
        if inv.meta["pages"] != 1:
            continue
        path = folder / inv.filename
        path.write_bytes(inv.data)
        paths.append(str(path))
    return paths


def throughput_section(paths: list[str]) -> None:
    print(
        f"\n== offline throughput, {len(paths)} single-page text-layer PDFs (load+rules+validate)"
    )
    cpu: list[float] = []
    for workers in (1, 2):
        rate, cpu = _rate(_work, paths, workers)
        print(f"  {workers} process(es): {rate:.1f} documents/s   (goal >= 100/s on 2 cores)")
        RATES[f"ours_{workers}"] = rate
    per_doc = sum(cpu) / len(cpu)
    print(
        f"  CPU time per document: {per_doc * 1000:.1f} ms -> {2 / per_doc:.0f} documents/s on"
        f" 2 otherwise idle cores (load average now {os.getloadavg()[0]:.1f})"
    )


def ocr_section(pages: int) -> None:
    from core.extraction import ocr as ocr_module

    print(f"\n== OCR seconds per A4 page ({pages} pages rendered at 200 dpi, PNG through OCR)")
    if ocr_module._engine is None:
        started = time.perf_counter()
        ocr_module._get_engine()
        print(f"  engine start (once per process): {time.perf_counter() - started:.2f} s")
    sources = sorted((ZUGFERD / "docs").glob("*.pdf"))[:pages] if ZUGFERD.is_dir() else []
    if not sources:
        sources = []
    images = []
    for src in sources:
        doc = load_document(src.read_bytes(), ocr=False, **LIMITS)
        buf = io.BytesIO()
        render_page_image(doc, 1, dpi=200).save(buf, format="PNG", dpi=(200, 200))
        images.append(buf.getvalue())
    if not images:
        for seed in range(pages):
            images.append(generate_invoice(seed, kind="scan_png").data)
    times, cpu = [], []
    for data in images:
        started, cpu_started = time.perf_counter(), time.process_time()
        doc = load_document(data, ocr=True, **LIMITS)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        assert doc.pages[0].source == "ocr"
    times.sort()
    cpu.sort()
    print(
        f"  per page: wall median {times[len(times) // 2]:.2f} s (max {times[-1]:.2f} s), CPU"
        f" median {cpu[len(cpu) // 2]:.2f} s   (goal <= 2 s; one ONNX thread;"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


I2D_FIELDS = {"issuer": "vendor_name", "amount": "total", "date": "invoice_date",
              "invoice_number": "invoice_number", "currency": "currency",
              "amount_untaxed": "subtotal", "amount_tax": "tax"}  # fmt: skip


def _i2d_flat(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for theirs, ours in I2D_FIELDS.items():
        value = data.get(theirs)
        if value is None:
            continue
        out[ours] = value.date().isoformat() if hasattr(value, "date") else value
    return out


def invoice2data_section(zugferd_pdfs: list[Path], synthetic: list[str]) -> None:
    print("\n== invoice2data 1.0.1 (bundled templates only; pdftotext from Debian poppler-utils)")
    if shutil.which("pdftotext") is None:
        print("  skipped: pdftotext not installed (apt-get install poppler-utils)")
        return
    paths = [str(p) for p in zugferd_pdfs] + synthetic
    rate, results = _rate(_i2d_work, paths, 2)
    print(f"  2 processes: {rate:.1f} documents/s on the same PDFs")
    ours = RATES.get("ours_2")
    if ours:
        print(
            f"  ours / invoice2data on 2 processes: {ours / rate:.2f}x (both measured in this run)"
        )
    matched = sum(1 for r in results if r)
    print(f"  documents matched by any template: {matched}/{len(paths)}")
    if zugferd_pdfs:
        rows = {
            json.loads(x)["file"]: json.loads(x)
            for x in (ZUGFERD / "truth.jsonl").read_text(encoding="utf-8").splitlines()
            if x
        }
        tally = Tally()
        for path, result in zip(zugferd_pdfs, results, strict=False):
            row = rows[f"docs/{path.name}"]
            tally.add(row["file"], _i2d_flat(result), row)
        print(f"  zugferd header fields exact (no template): {tally.header_accuracy():.3f}")


def main() -> None:
    logging.getLogger("invoice2data").setLevel(logging.ERROR)  # one line per untemplated file
    parser = argparse.ArgumentParser(description="extraction benchmark (prints figures)")
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    parser.add_argument("--baseline-ref", help="re-measure 'before' on this git ref (e.g. main)")
    args = parser.parse_args()
    n_pdf, n_scan, n_tp, n_ocr = (12, 0, 40, 1) if args.quick else (40, 3, 120, 2)
    started = time.perf_counter()
    print(f"extraction benchmark  (cpu cores: {os.cpu_count()}, load {os.getloadavg()[0]:.1f};"
          " speed figures on a loaded machine run slow)")  # fmt: skip
    dev_sets.main(["--baseline-ref", args.baseline_ref] if args.baseline_ref else [])
    zugferd_pdfs = zugferd_section()
    synthetic_section(n_pdf, n_scan)
    with tempfile.TemporaryDirectory() as tmp:
        paths = single_page_pdfs(n_tp, Path(tmp))
        throughput_section(paths)
        ocr_section(n_ocr)
        ocr_engines.main(["--pages", str(max(2, n_ocr))])
        invoice2data_section(zugferd_pdfs, paths)
    print(f"\n(total bench time {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
