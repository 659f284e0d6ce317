"""``python -m core extract``: one JSON line per file, as the benchmark README specifies.

Each line is ``{"file", "status": "ok"|"error", "fields", "confidence", "extractor", "error"}``.
A bad file yields an error line and the batch goes on; the exit status is non-zero only when
the command could not run at all (bad configuration, no usable extractor).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from core.errors import InvoiceFlowError

# Progress bars only help when there is more than a handful of files.
PROGRESS_MIN_FILES = 4


def add_parser(subparsers: Any) -> None:
    """Register the ``extract`` sub-command."""
    p = subparsers.add_parser(
        "extract",
        help="extract invoice fields from files (one JSON line per file)",
        description="Read PDFs, images and e-invoice XML; print one JSON object per file.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--extractor", choices=("auto", "offline", "openai"), default="auto")
    p.add_argument(
        "--no-einvoice",
        action="store_true",
        help="ignore embedded/standalone e-invoice XML (score the visual path)",
    )
    p.add_argument("--jobs", type=int, default=0, help="parallel workers (default: auto)")
    cache = p.add_mutually_exclusive_group()
    cache.add_argument("--cache", dest="cache", action="store_true", default=None)
    cache.add_argument("--no-cache", dest="cache", action="store_false")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(func=run)


def result_line(file: str, result: Any) -> dict[str, Any]:
    """The contract's JSON object for one file: an ``Extraction`` or an error."""
    from core.extraction.schema import Extraction

    if isinstance(result, Extraction):
        name = " ".join(x for x in (result.extractor, result.extractor_version, result.model) if x)
        return {
            "file": file,
            "status": "ok",
            "fields": result.to_flat_fields(),
            "confidence": result.confidences(),
            "extractor": name,
            "error": None,
            "warnings": result.warnings,
        }
    message = result.message if isinstance(result, InvoiceFlowError) else str(result)
    code = result.code if isinstance(result, InvoiceFlowError) else "internal_error"
    return {
        "file": file,
        "status": "error",
        "fields": {},
        "confidence": {},
        "extractor": None,
        "error": message,
        "error_code": code,
    }


_PIPELINE: Any = None


def _init_worker(options: dict[str, Any]) -> None:
    global _PIPELINE
    _PIPELINE = _build_pipeline(options)


def _build_pipeline(options: dict[str, Any]) -> Any:
    from core.config import Settings
    from core.extraction.pipeline import ExtractionPipeline

    settings = Settings()
    cache = None
    if options["cache"]:
        from core.extraction.cache import DiskCache

        cache = DiskCache(Path(settings.data_dir) / "cache" / "extraction")
    return ExtractionPipeline(settings, cache)


def _extract_one(job: tuple[str, str, bool]) -> dict[str, Any]:
    path, mode, einvoice = job
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return result_line(
            path, InvoiceFlowError(f"cannot read the file: {exc.strerror}", code="unreadable_file")
        )
    try:
        result: Any = _PIPELINE.extract(
            data, filename=Path(path).name, extractor=mode, einvoice=einvoice
        )
    except InvoiceFlowError as exc:
        result = exc
    except Exception as exc:  # a bug costs one file, never the batch
        result = InvoiceFlowError(f"internal error while reading this file ({type(exc).__name__})")
    return result_line(path, result)


def _results(args: argparse.Namespace, mode: str) -> Iterator[dict[str, Any]]:
    global _PIPELINE
    jobs = [(f, mode, not args.no_einvoice) for f in args.files]
    options = {"cache": args.cache}
    workers = args.jobs
    if mode == "openai":
        workers = workers or _PIPELINE.settings.openai_concurrency
        executor: Executor = ThreadPoolExecutor(max_workers=max(1, workers))
    else:
        workers = workers or (2 if len(jobs) > 8 else 1)
        if workers <= 1:
            yield from map(_extract_one, jobs)
            return
        # Layout rules and OCR are CPU-bound Python: processes, not threads.
        executor = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(options,))
    with executor:
        yield from executor.map(_extract_one, jobs, chunksize=1 if mode == "openai" else 4)


def run(args: argparse.Namespace) -> int:
    """Extract every file and print its JSON line; 2 when the command cannot run."""
    global _PIPELINE
    try:
        _PIPELINE = _build_pipeline({"cache": False})
        mode = _PIPELINE.resolve_mode(args.extractor)
        if args.cache is None:
            args.cache = mode == "openai"  # the same file must never cost a second LLM call
        if args.cache:
            _PIPELINE = _build_pipeline({"cache": True})
        # Build the extractors now: a missing key or SDK fails the run once, not every file.
        _PIPELINE.cache_key("0" * 64, mode, not args.no_einvoice)
    except InvoiceFlowError as exc:
        print(f"extract: {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:  # settings validation (pydantic) failed
        print(f"extract: invalid configuration: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the extractor cannot even be built (e.g. an OpenAI SDK error)
        print(f"extract: cannot start the {args.extractor} extractor: {exc}", file=sys.stderr)
        return 2
    progress = None
    if len(args.files) >= PROGRESS_MIN_FILES and not args.no_progress:
        from tqdm import tqdm

        progress = tqdm(total=len(args.files), file=sys.stderr, unit="file", desc="extract")
    out = sys.stdout
    for line in _results(args, mode):
        out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        out.flush()
        if progress is not None:
            progress.update(1)
    if progress is not None:
        progress.close()
    return 0
