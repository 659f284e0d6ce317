"""OCR engines side by side: CPU seconds per dense A4 page (one thread) and how well they read.

Pages: the first pages of the ZUGFeRD dev set rendered at 200 dpi (dense A4 invoices whose
text layer is the truth: word recall = share of the text layer's words the engine read). With
``--dev`` also the header accuracy of the current rules on the multilingual dev set's OCR
documents with each engine. Engines (each skipped when not installed):
  - rapidocr 3.x, PP-OCRv6 small, as the product runs it (detector side per page, arena,
    each text crop read at its own width plus a margin, int8 recogniser: ocr_int8.py);
  - the same with the wheel's float recogniser (crops at own width + 16 px margin);
  - the float recogniser with the earlier settings (crops padded to 320 px, batches of 6);
  - rapidocr 3.x with a fixed 1280 px detector, no arena and padded crops;
  - rapidocr-onnxruntime 1.4.4 (PP-OCRv4), the previous engine, as it was configured;
  - Tesseract 5 from Debian (``tesseract-ocr``; English data only here), one thread;
  - Tesseract first, RapidOCR when Tesseract's mean word confidence is low.

    python -m bench.ocr_engines [--pages 4] [--dev]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.dev_sets import benchmarks_dir, load_truth
from core.extraction import ocr as product_ocr
from core.extraction import ocr_int8
from core.extraction.document import load_document, render_page_image

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 200}
Engine = Callable[[np.ndarray], list[tuple[Any, str, float]]]


def _norm(words: list[str]) -> Counter[str]:
    return Counter(t for w in words for t in re.findall(r"\w+", w.lower()))


def word_recall(truth: list[str], read: list[str]) -> float:
    want, got = _norm(truth), _norm(read)
    return sum(min(n, got[k]) for k, n in want.items()) / max(1, sum(want.values()))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Tesseract runs as a child)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def product_engine() -> Engine:
    return product_ocr._run


def rapidocr_variant(
    side: int | None = None,
    *,
    rec_min_width: int = 320,
    batch: int = 6,
    arena: bool = True,
    rec_model: Path | None = None,
    right_pad: int = 0,
) -> Engine | None:
    """rapidocr 3.x with other settings than the product's. ``side=None``: the product's detector
    side per page; the defaults (crops padded to 320 px, batches of 6) were the product's
    recognition settings before crops were read at their own width. ``rec_model=None``: the
    product's int8 recogniser."""
    try:
        from rapidocr import RapidOCR
    except ImportError:
        return None
    folder = product_ocr.model_dir()
    engine = RapidOCR(params={
        "Global.log_level": "error", "Global.use_cls": False,
        "Global.max_side_len": product_ocr.MAX_INPUT_SIDE if side is None else 4000,
        "Global.model_root_dir": str(folder),
        "Det.model_path": str(folder / product_ocr.MODELS["det"]),
        "Rec.model_path": str(rec_model or ocr_int8.int8_model()),
        "Cls.model_path": str(folder / product_ocr.MODELS["cls"]),
        "Det.limit_side_len": side or product_ocr.DET_MAX_SIDE, "Det.limit_type": "max",
        "Rec.rec_batch_num": batch, "Rec.rec_img_shape": [3, product_ocr.REC_HEIGHT, rec_min_width],
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        "EngineConfig.onnxruntime.enable_cpu_mem_arena": arena,
    })  # fmt: skip
    product_ocr.pad_recognizer_input(engine, right_pad)

    def run(image: np.ndarray) -> list[tuple[Any, str, float]]:
        if side is None:
            engine._load_det_model().limit_side_len = product_ocr.detector_side(
                image.shape[1], image.shape[0]
            )
        out = engine(image, use_cls=False)
        if out.boxes is None:
            return []
        return list(zip(out.boxes, map(str, out.txts), map(float, out.scores), strict=False))

    return run


def previous_engine() -> Engine | None:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    engine = RapidOCR(det_limit_side_len=1280, det_limit_type="max", max_side_len=5120,
                      rec_batch_num=1, intra_op_num_threads=1, inter_op_num_threads=1)  # fmt: skip

    def run(image: np.ndarray) -> list[tuple[Any, str, float]]:
        result, _ = engine(image, use_cls=False)
        return [(b, str(t), float(s)) for b, t, s in result or []]

    return run


def tesseract_engine() -> Engine | None:
    if shutil.which("tesseract") is None:
        return None

    def run(image: np.ndarray) -> list[tuple[Any, str, float]]:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="PNG")
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        tsv = subprocess.run(["tesseract", "stdin", "stdout", "--psm", "3", "tsv"],
                             input=buf.getvalue(), capture_output=True, env=env,
                             check=False).stdout.decode("utf-8", "replace")  # fmt: skip
        out = []
        for line in tsv.splitlines()[1:]:
            cols = line.split("\t")
            if len(cols) == 12 and cols[11].strip() and float(cols[10]) >= 0:
                x, y, w, h = map(int, cols[6:10])
                box = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
                out.append((box, cols[11], float(cols[10]) / 100))
        return out

    return run


def hybrid_engine(tess: Engine | None, rapid: Engine) -> Engine | None:
    if tess is None:
        return None

    def run(image: np.ndarray) -> list[tuple[Any, str, float]]:
        words = tess(image)
        confident = [w for w in words if w[2] >= 0.6]
        if words and len(confident) >= 0.9 * len(words) and np.mean([w[2] for w in words]) >= 0.85:
            return words
        return rapid(image)

    return run


def dense_pages(data: Path, n: int) -> list[tuple[np.ndarray, list[str]]]:
    docs = sorted((data / "extraction-dev" / "zugferd" / "docs").glob("*.pdf"))[:n]
    out = []
    for src in docs:
        doc = load_document(src.read_bytes(), ocr=False, **LIMITS)
        image = np.asarray(render_page_image(doc, 1, dpi=200))
        out.append((image, [w.text for w in doc.pages[0].words]))
    return out


def measure(name: str, engine: Engine, pages: list[tuple[np.ndarray, list[str]]]) -> None:
    engine(pages[0][0])  # load models, warm caches
    cpu, wall, recall = [], [], []
    for image, truth in pages:
        c0, w0 = _cpu(), time.perf_counter()
        found = engine(image)
        cpu.append(_cpu() - c0)
        wall.append(time.perf_counter() - w0)
        recall.append(word_recall(truth, [t for _, t, s in found if s >= product_ocr.MIN_SCORE]))
    cpu.sort()
    print(f"  {name:<46} CPU/page median {cpu[len(cpu) // 2]:.2f} s (max {cpu[-1]:.2f}),"
          f" wall median {sorted(wall)[len(wall) // 2]:.2f} s, word recall"
          f" {sum(recall) / len(recall):.3f}")  # fmt: skip


def dev_accuracy(name: str, engine: Engine, data: Path) -> None:
    """Header accuracy of the current rules on the multilingual OCR documents with ``engine``."""
    from core.extraction.evaluation import Tally
    from core.extraction.offline_extractor import OfflineExtractor
    from core.extraction.validation import validate

    folder = data / "extraction-dev" / "multilingual"
    rows = [
        r
        for r in load_truth(folder)
        if "image" in r.get("input", "") or "photo" in r.get("input", "")
    ]
    original = product_ocr._run
    product_ocr._run = engine  # type: ignore[assignment]
    try:
        tally, started = Tally(), time.perf_counter()
        for row in rows:
            doc = load_document((folder / row["file"]).read_bytes(), **LIMITS)
            tally.add(
                row["file"],
                validate(OfflineExtractor().extract(doc), doc.full_text).to_flat_fields(),
                row,
            )
    finally:
        product_ocr._run = original  # type: ignore[assignment]
    print(f"  {name:<46} header fields exact {tally.header_accuracy():.3f} on {len(rows)} OCR"
          f" documents ({time.perf_counter() - started:.0f} s)")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="OCR engines side by side")
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--dev", action="store_true", help="also dev-set accuracy per engine")
    args = parser.parse_args(argv)
    data = benchmarks_dir()
    print(f"\n== OCR engines side by side, one thread each (load average {os.getloadavg()[0]:.1f}"
          f" on {os.cpu_count()} cores: figures taken on a busy machine run high)")  # fmt: skip
    if data is None:
        print("  (dev sets not found: no ../shared/benchmarks; skipped)")
        return
    pages = dense_pages(data, args.pages)
    print(
        f"  {len(pages)} dense A4 pages (ZUGFeRD dev set, rendered at 200 dpi);"
        " recall = share of the text layer's words read"
    )
    rapid = product_engine()
    tess = tesseract_engine()
    engines: list[tuple[str, Engine | None]] = [
        ("rapidocr 3 PP-OCRv6, product settings (int8)", rapid),
        (
            "rapidocr 3, same with the float recogniser",
            rapidocr_variant(
                rec_min_width=product_ocr.REC_MIN_WIDTH,
                batch=product_ocr.REC_BATCH,
                rec_model=product_ocr.model_dir() / product_ocr.MODELS["rec"],
                right_pad=product_ocr.REC_RIGHT_PAD,
            ),
        ),
        (
            "rapidocr 3, float, padded to 320, batches of 6",
            rapidocr_variant(rec_model=product_ocr.model_dir() / product_ocr.MODELS["rec"]),
        ),
        (
            "rapidocr 3, float, det 1280, no arena, padded",
            rapidocr_variant(
                1280, arena=False, rec_model=product_ocr.model_dir() / product_ocr.MODELS["rec"]
            ),
        ),
        ("rapidocr-onnxruntime 1.4.4 PP-OCRv4 (previous)", previous_engine()),
        ("tesseract 5 (eng), 1 thread", tess),
        ("tesseract, rapidocr where its confidence is low", hybrid_engine(tess, rapid)),
    ]
    for name, engine in engines:
        if engine is None:
            print(f"  {name:<46} skipped: not installed")
            continue
        measure(name, engine, pages)
    if args.dev:
        print("  header accuracy of the current rules with each engine (multilingual, OCR inputs):")
        for name, engine in engines:
            if engine is not None and "det 1280" not in name:
                dev_accuracy(name, engine, data)


if __name__ == "__main__":
    main()
