"""OCR with RapidOCR (ONNX Runtime, models shipped in the wheel: no download, no network).

The engine is created lazily once per process; it is not thread-safe, so calls hold a lock.
Text boxes come back per line of text; they are split into words with positions interpolated
along the box, which is what the layout rules need (column x-positions, label/value order).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image

from core.errors import DocumentError
from core.extraction.layout import Word

# Render DPI for text-less PDF pages: 150 dpi keeps 8 pt text legible for the recogniser.
OCR_DPI = 150
# Longest side fed to the text detector, whose cost grows with the pixel count: 1280 px finds
# the lines of an A4 page; recognition still reads the crops at full resolution.
DET_MAX_SIDE = 1280
MIN_SCORE = 0.5

_lock = threading.Lock()
_engine: Any = None


def _get_engine() -> Any:
    global _engine
    if _engine is None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # pragma: no cover - the wheel is a runtime requirement
            raise DocumentError("OCR is not installed (rapidocr-onnxruntime)") from exc
        # One ONNX thread per engine: parallelism comes from worker processes, and on a busy
        # 2-core host extra intra-op threads only contend. Recognition batches pad every crop
        # to the widest one, so single-crop batches measured fastest (bench/extraction_bench.py).
        _engine = RapidOCR(
            det_limit_side_len=DET_MAX_SIDE,
            det_limit_type="max",
            max_side_len=4 * DET_MAX_SIDE,
            rec_batch_num=1,
            intra_op_num_threads=1,
            inter_op_num_threads=1,
        )
    return _engine


def ocr_image(image: Image.Image, *, points_per_pixel: float) -> list[Word]:
    """Words found in ``image``, boxes converted to points with a top-left origin."""
    rgb = image.convert("RGB")
    factor = 1.0
    longest = max(rgb.width, rgb.height)
    if longest > 2 * DET_MAX_SIDE:  # spare memory and time on huge scans
        factor = (2 * DET_MAX_SIDE) / longest
        rgb = rgb.resize((round(rgb.width * factor), round(rgb.height * factor)))
    with _lock:
        # Upright pages are the norm; the 180-degree classifier costs more than it saves.
        result, _ = _get_engine()(np.asarray(rgb), use_cls=False)
    scale = points_per_pixel / factor
    kept = [(b, t) for b, t, sc in result or [] if float(sc) >= MIN_SCORE and str(t).strip()]
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
        words.extend(
            _split_line(
                str(text), min(xs) * scale, min(ys) * scale, max(xs) * scale, max(ys) * scale
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


def _split_line(text: str, x0: float, y0: float, x1: float, y1: float) -> list[Word]:
    """Split one OCR text box into words, spreading x-positions by character count."""
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
