"""OCR with RapidOCR (``rapidocr``, ONNX Runtime; models shipped in the wheel: no download).

The engine is created lazily once per process; it is not thread-safe, so calls hold a lock.
Text boxes come back per line of text; they are split into words with positions interpolated
along the box, which is what the layout rules need (column x-positions, label/value order).

Why these settings (measured side by side in ``bench/extraction_bench.py``, section "OCR
engines"): the PP-OCRv6 small models of the maintained ``rapidocr`` package read Latin text with
its spaces (the PP-OCRv4 models of the unmaintained ``rapidocr-onnxruntime`` glued words
together) and recall about 99% of a dense A4 page's words against its text layer, against 79%;
ONNX Runtime's memory arena and a detector input of 1024 px for A4-like pages keep the detector
at about a seventh of a dense page's CPU. The recogniser takes the rest: each text crop is read
at its own width plus a small margin (no padding to 320 px, one crop per call), by the wheel's
recogniser with int8 convolutions (``ocr_int8.py``): about half the CPU of the float model with
padded crops, the same words read (``docs/extraction.md``, "OCR choice").
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.errors import DocumentError
from core.extraction import ocr_int8
from core.extraction.layout import Word

# Render DPI for text-less PDF pages: 150 dpi keeps 8 pt text legible for the recogniser.
OCR_DPI = 150
# Longest side fed to the text detector for page-shaped images; its cost grows with the pixel
# count. Recognition reads the crops from the full-resolution image whatever this is.
DET_MAX_SIDE = 1024
# Tall narrow images (till receipts, phone photos of a strip) keep at least this many pixels
# across in the detector, up to DET_LIMIT_LONG on the long side: small print must stay legible.
DET_MIN_SHORT_SIDE = 640
DET_LIMIT_LONG = 2048
# Images larger than this on their long side are scaled down first (memory, time).
MAX_INPUT_SIDE = 2600
MIN_SCORE = 0.5
# Recognition: each text crop is scaled to 48 px high and read at its own width plus a 16 px
# margin (the engine's padding value), one crop per call. The engine's default padded every crop
# to at least 320 px across (and a batch to its widest crop); most crops on an invoice are short
# words and numbers, so padding was a third of the recogniser's work. The margin keeps the end of
# a line legible (the model was trained on right-padded lines). Measured in bench/ocr_engines.py.
REC_HEIGHT = 48
REC_MIN_WIDTH = 48
REC_BATCH = 1
REC_RIGHT_PAD = 16
# The wheel's recogniser with int8 convolutions (ocr_int8.py): about a third less CPU per dense
# page than the float model; same dense-page word recall, one dev-set field more, 3 of 434 header
# fields fewer on 30 synthetic scans (docs/extraction.md). False: the float model.
REC_INT8 = True
# Share of a detected box's height trimmed off its top and bottom (detector padding).
BOX_TRIM = 0.15
MODELS = {
    "det": "PP-OCRv6_det_small.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}

_lock = threading.Lock()
_engine: Any = None


def model_dir() -> Path:
    """Where the wheel keeps its ONNX models (inside the installed package)."""
    return Path(str(files("rapidocr") / "models"))


def _get_engine() -> Any:
    global _engine
    if _engine is None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # pragma: no cover - the wheel is a runtime requirement
            raise DocumentError("OCR is not installed (rapidocr)") from exc
        folder = model_dir()
        # Explicit model paths: the engine never looks for (or downloads) anything else.
        # One ONNX thread per engine: parallelism comes from worker processes, and on a busy
        # 2-core host extra intra-op threads only contend.
        _engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.max_side_len": MAX_INPUT_SIDE,
                "Global.model_root_dir": str(folder),
                "Det.model_path": str(folder / MODELS["det"]),
                "Rec.model_path": str(
                    ocr_int8.int8_model() if REC_INT8 else folder / MODELS["rec"]
                ),
                "Cls.model_path": str(folder / MODELS["cls"]),
                "Det.limit_side_len": DET_MAX_SIDE,
                "Det.limit_type": "max",
                "Rec.rec_batch_num": REC_BATCH,
                "Rec.rec_img_shape": [3, REC_HEIGHT, REC_MIN_WIDTH],
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
            }
        )
        pad_recognizer_input(_engine, REC_RIGHT_PAD)
    return _engine


def pad_recognizer_input(engine: Any, pad: int) -> None:
    """Append ``pad`` columns of padding to every crop the engine's recogniser reads."""
    if pad <= 0:
        return
    recognizer = engine._load_rec_model()
    resize = recognizer.resize_norm_img

    def padded(image: np.ndarray, ratio: float) -> np.ndarray:
        return np.pad(resize(image, ratio), ((0, 0), (0, 0), (0, pad)))

    recognizer.resize_norm_img = padded


def detector_side(width: int, height: int) -> int:
    """The detector's longest side for one page: A4-like pages get ``DET_MAX_SIDE``; tall strips
    keep ``DET_MIN_SHORT_SIDE`` across (bounded by ``DET_LIMIT_LONG``)."""
    long, short = max(width, height), max(1, min(width, height))
    side = max(DET_MAX_SIDE, round(DET_MIN_SHORT_SIDE * long / short))
    return min(side, DET_LIMIT_LONG, max(long, 32))


def _run(image: np.ndarray) -> list[tuple[Any, str, float]]:
    """(box, text, score) per text line found in ``image`` (RGB array)."""
    engine = _get_engine()
    with _lock:
        det = engine._load_det_model()  # the detector size is chosen per page
        det.limit_side_len = detector_side(image.shape[1], image.shape[0])
        # Upright pages are the norm; the 180-degree classifier costs more than it saves.
        out = engine(image, use_cls=False)
    if out.boxes is None or out.txts is None:
        return []
    return [
        (box, str(text), float(score))
        for box, text, score in zip(out.boxes, out.txts, out.scores, strict=False)
    ]


def ocr_image(image: Image.Image, *, points_per_pixel: float) -> list[Word]:
    """Words found in ``image``, boxes converted to points with a top-left origin."""
    rgb = image.convert("RGB")
    factor = 1.0
    longest = max(rgb.width, rgb.height)
    if longest > MAX_INPUT_SIDE:  # spare memory and time on huge scans
        factor = MAX_INPUT_SIDE / longest
        rgb = rgb.resize((round(rgb.width * factor), round(rgb.height * factor)))
    result = _run(np.asarray(rgb))
    scale = points_per_pixel / factor
    kept = [(b, t) for b, t, sc in result if sc >= MIN_SCORE and t.strip()]
    # A scan turned by a degree or two puts a right-hand value on another "line" than its
    # label: turn the boxes back by the page's median text angle before reading rows.
    angle = _skew(b for b, _ in kept)
    cx, cy = rgb.width / 2, rgb.height / 2
    cos, sin = math.cos(-angle), math.sin(-angle)
    words: list[Word] = []
    for box, text in kept:
        pts = [
            (cx + (px - cx) * cos - (py - cy) * sin, cy + (px - cx) * sin + (py - cy) * cos)
            for px, py in box
        ]
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        # The detector pads each box beyond its glyphs (unclip ratio 1.6): keep the middle of
        # the box, or two tightly spaced rows overlap and merge into one line.
        top, bottom = min(ys), max(ys)
        pad = (bottom - top) * BOX_TRIM
        words.extend(
            _split_line(
                text, min(xs) * scale, (top + pad) * scale, max(xs) * scale, (bottom - pad) * scale
            )
        )
    return words


def _skew(boxes: Iterable[Any]) -> float:
    """Median baseline angle (radians) of wide text boxes; 0 when the page is straight."""
    angles = []
    for box in boxes:
        (x0, y0), (x1, y1) = box[0], box[1]
        (_, y3) = box[3]
        if (x1 - x0) > 3 * abs(y3 - y0):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    if len(angles) < 3:
        return 0.0
    angles.sort()
    median = angles[len(angles) // 2]
    return median if abs(median) > math.radians(0.2) else 0.0


# OCR drops the space after a label's colon ("USt-IdNr.:339/5264/3049"); times keep theirs.
_LABEL_COLON = re.compile(r"(?<=[^\W\d_]|\.):(?=\w)")
# ... and the space between an abbreviated label and its rate ("USt.8.1%": the tax label was not
# found, and the tax was taken from a line's unit price).
_LABEL_RATE = re.compile(r"(?<=[^\W\d_]{2}\.)(?=\d{1,2}(?:[.,]\d{1,3})?\s?%)")


def _split_line(text: str, x0: float, y0: float, x1: float, y1: float) -> list[Word]:
    """Split one OCR text box into words, spreading x-positions by character count."""
    text = _LABEL_RATE.sub(" ", _LABEL_COLON.sub(": ", text))
    parts = text.split()
    total = len(text)
    if len(parts) <= 1 or total == 0:
        return [Word(text.strip(), x0, y0, x1, y1, y1 - y0)]
    per_char = (x1 - x0) / total
    words = []
    pos = 0
    for part in parts:
        start = text.index(part, pos)
        end = start + len(part)
        words.append(Word(part, x0 + start * per_char, y0, x0 + end * per_char, y1, y1 - y0))
        pos = end
    return words
