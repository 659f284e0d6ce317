"""OCR: offline RapidOCR on rendered text, and deskewing of turned scans."""

from __future__ import annotations

import io
import itertools
import math

import pytest
from PIL import Image, ImageDraw, ImageFont

from core.extraction.document import load_document
from core.extraction.ocr import _skew, _split_line


def _box(x: float, y: float, w: float, h: float, angle_deg: float) -> list[list[float]]:
    a = math.radians(angle_deg)
    dx, dy = math.cos(a), math.sin(a)
    return [[x, y], [x + w * dx, y + w * dy], [x + w * dx - h * dy, y + w * dy + h * dx],
            [x - h * dy, y + h * dx]]  # fmt: skip


def test_skew_is_the_median_angle_of_wide_boxes() -> None:
    boxes = [_box(10, 20 * i, 300, 20, 2.0) for i in range(5)] + [_box(0, 0, 10, 40, 30.0)]
    assert math.degrees(_skew(boxes)) == pytest.approx(2.0, abs=0.01)


def test_straight_pages_are_not_turned() -> None:
    assert _skew([_box(10, 20 * i, 300, 20, 0.1) for i in range(5)]) == 0.0
    assert _skew([_box(10, 10, 300, 20, 5.0)]) == 0.0  # too little evidence


def test_a_turned_scan_still_reads_label_and_value_on_one_line() -> None:
    image = Image.new("RGB", (900, 260), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)
    draw.text((40, 40), "Invoice number", fill="black", font=font)
    draw.text((620, 40), "INV-4711", fill="black", font=font)
    draw.text((40, 150), "Total amount", fill="black", font=font)
    draw.text((620, 150), "1.234,50", fill="black", font=font)
    turned = image.rotate(2.5, expand=True, fillcolor="white")
    buf = io.BytesIO()
    turned.save(buf, format="PNG", dpi=(200, 200))
    page = load_document(buf.getvalue(), max_bytes=10**7, max_pages=2, ocr=True).pages[0]
    assert page.source == "ocr"
    lines = [line.text.lower() for line in page.lines]
    assert any("total" in t and "1.234,50" in t for t in lines), lines
    assert any("invoice" in t and "inv-4711" in t for t in lines), lines


def test_the_build_smoke_check_loads_the_models_the_product_loads() -> None:
    import importlib.util
    from pathlib import Path

    from core.extraction.ocr import MODELS

    path = Path(__file__).resolve().parents[3] / "docker" / "ocr_smoke.py"
    spec = importlib.util.spec_from_file_location("ocr_smoke", path)
    assert spec is not None and spec.loader is not None
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)
    assert smoke.MODELS == MODELS
    from core.extraction.ocr_int8 import INT8_MODEL

    assert smoke.INT8_REC == INT8_MODEL


@pytest.mark.parametrize(
    ("line", "words"),
    [
        # seen on a scan: the tax label glued to its rate was no label; the tax was then taken
        # from a line's unit price (13.79 for 5.58)
        ("USt.8.1% 5.58", ["USt.", "8.1%", "5.58"]),
        ("MwSt.19 % 76,05", ["MwSt.", "19", "%", "76,05"]),
        ("USt-IdNr.:339/5264/3049", ["USt-IdNr.:", "339/5264/3049"]),
        # what is no label and rate stays as read
        ("Nr.12 Stück", ["Nr.12", "Stück"]),
        ("8.1% 5.58", ["8.1%", "5.58"]),
        ("v.2.5%x", ["v.2.5%x"]),
    ],
)
def test_ocr_glued_label_parts_are_split(line: str, words: list[str]) -> None:
    split = _split_line(line, 0.0, 0.0, 100.0, 10.0)
    assert [w.text for w in split] == words
    assert all(a.x1 <= b.x0 + 1e-9 for a, b in itertools.pairwise(split))
