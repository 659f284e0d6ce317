"""The int8 text recogniser: made from the rapidocr wheel's model and the shipped ranges."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from PIL import Image, ImageDraw, ImageFont

from core.errors import DocumentError
from core.extraction import ocr, ocr_int8

LINES = ["Rechnung Nr. RE-2024-0815", "Total amount due 1.234,56 EUR", "IBAN DE89 3704 0044"]


def test_the_ranges_fit_the_installed_wheels_model() -> None:
    spec = ocr_int8.recipe()
    assert spec["source_sha256"] == ocr_int8._sha256(ocr_int8.source_model())
    assert spec["op_types"] == ["Conv"] and spec["method"] == "Percentile"
    assert len(spec["ranges"]["data"]) > 50


def test_build_quantizes_every_convolution_and_keeps_the_character_list(tmp_path: Path) -> None:
    model = onnx.load(str(ocr_int8.build(tmp_path / "rec.onnx")))
    dequantized = {
        node.output[0] for node in model.graph.node if node.op_type == "DequantizeLinear"
    }
    convs = {node.name: node for node in model.graph.node if node.op_type == "Conv"}
    excluded = set(ocr_int8.recipe()["exclude"])
    quantized = {name for name, conv in convs.items() if set(conv.input) & dequantized}
    assert len(convs) > 50 and quantized == set(convs) - excluded
    # the character list the recogniser decodes with travels in the metadata
    assert any(p.key == "character" for p in model.metadata_props)


def test_a_model_from_another_wheel_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    spec = ocr_int8.recipe() | {"source_sha256": "0" * 64}
    monkeypatch.setattr(ocr_int8, "recipe", lambda: spec)
    with pytest.raises(DocumentError, match=r"re-run bench/ocr_calibrate\.py"):
        ocr_int8.build(tmp_path / "rec.onnx")
    assert not (tmp_path / "rec.onnx").exists()


def test_a_missing_model_is_made_on_first_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    shutil.copy(ocr_int8.models_dir() / ocr_int8.RANGES, tmp_path / ocr_int8.RANGES)
    monkeypatch.setattr(ocr_int8, "models_dir", lambda: tmp_path)
    path = ocr_int8.int8_model()
    assert path == tmp_path / ocr_int8.INT8_MODEL and path.stat().st_size > 1_000_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".int8-")]  # no partial file


def _page() -> np.ndarray:
    image = Image.new("RGB", (1100, 330), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(LINES):
        draw.text((30, 30 + 100 * i), line, fill="black", font=ImageFont.load_default(size=40))
    return np.asarray(image)


def test_int8_reads_what_the_float_model_reads() -> None:
    from rapidocr import RapidOCR

    folder = ocr.model_dir()
    fp32 = RapidOCR(params={
        "Global.log_level": "error", "Global.use_cls": False,
        "Det.model_path": str(folder / ocr.MODELS["det"]),
        "Rec.model_path": str(folder / ocr.MODELS["rec"]),
        "Cls.model_path": str(folder / ocr.MODELS["cls"]),
        "Rec.rec_batch_num": ocr.REC_BATCH,
        "Rec.rec_img_shape": [3, ocr.REC_HEIGHT, ocr.REC_MIN_WIDTH],
    })  # fmt: skip
    ocr.pad_recognizer_input(fp32, ocr.REC_RIGHT_PAD)
    page = _page()
    product = [text for _, text, _ in ocr._run(page)]
    reference = [str(text) for text in fp32(page, use_cls=False).txts]
    assert product == reference == LINES
