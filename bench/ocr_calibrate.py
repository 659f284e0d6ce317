"""Calibrate the int8 text recogniser on synthetic documents and write its ranges file.

Text crops come from the product's own OCR pipeline (detector and crops) run over synthetic
invoices and receipts (``core.demo``: PDFs rendered at 200 dpi, PNG scans, JPEG photos); no real
document is read. Each crop is scaled to 48 px high, padded to at least 320 px (the model's
training input) and cut into 320-px windows. onnxruntime's calibrator takes each activation's
99.99th percentile as its range (measured against MinMax and with the stem and head left in
float: this kept the float model's word recall, they lost 0.2-0.5%), and the result, with the
quantization settings and the hash of the wheel's fp32 model, goes to
``core/extraction/ocr_models/rec_int8_ranges.json``.
``core.extraction.ocr_int8.build`` makes the int8 model from it. Re-run after a rapidocr upgrade:

    python -m bench.ocr_calibrate [--documents 40] [--crops 200]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.demo.synthetic_invoices import generate_invoice, generate_receipt
from core.extraction import ocr, ocr_int8
from core.extraction.document import load_document, render_page_image

KINDS = ("pdf", "scan_png", "photo_jpeg", "pdf")
METHOD, PERCENTILE = "Percentile", 99.99
WINDOW = 320


def crops(documents: int) -> list[np.ndarray]:
    """Text-line crops (RGB arrays) of synthetic documents, as the detector cuts them."""
    # The product's engine with the wheel's float recogniser (the int8 one may not exist yet).
    ocr_int8.int8_model = ocr_int8.source_model  # type: ignore[assignment]
    engine = ocr._get_engine()
    seen: list[np.ndarray] = []
    original = engine.recognize_txt

    def grab(images: list[np.ndarray]) -> Any:
        seen.extend(images)
        return original(images)

    engine.recognize_txt = grab
    try:
        for seed in range(documents):
            kind = KINDS[seed % len(KINDS)]
            make = generate_receipt if seed % 5 == 4 else generate_invoice
            data = make(seed, kind=kind).data
            if kind == "pdf":
                doc = load_document(data, ocr=False, max_bytes=50 << 20, max_pages=20)
                image = render_page_image(doc, 1, dpi=200)
            else:
                image = Image.open(io.BytesIO(data))
            ocr.ocr_image(image, points_per_pixel=1.0)
    finally:
        engine.recognize_txt = original
    return seen


def windows(crops: list[np.ndarray]) -> list[np.ndarray]:
    """Recogniser inputs (1 x 3 x 48 x 320, normalised) cut from the crops."""
    recognizer = ocr._get_engine()._load_rec_model()
    out = []
    for crop in crops:
        height = ocr.REC_HEIGHT
        # the class's resize, not the product's padded one (ocr.pad_recognizer_input)
        image = type(recognizer).resize_norm_img(
            recognizer, crop, max(WINDOW / height, crop.shape[1] / crop.shape[0])
        )
        for x0 in range(0, image.shape[2], WINDOW):
            window = np.zeros((1, 3, height, WINDOW), np.float32)
            part = image[:, :, x0 : x0 + WINDOW]
            window[0, :, :, : part.shape[2]] = part
            out.append(window)
    return out


def calibrate(inputs: list[np.ndarray]) -> dict[str, Any]:
    from onnx import load, save, version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(inputs)

        def get_next(self) -> dict[str, np.ndarray] | None:
            item = next(self.items, None)
            return None if item is None else {"x": item}

    with tempfile.TemporaryDirectory(prefix="ocr-calib-") as tmp:
        opset13, prepared = Path(tmp) / "opset13.onnx", Path(tmp) / "prepared.onnx"
        source = load(str(ocr_int8.source_model()))
        save(version_converter.convert_version(source, 13), str(opset13))
        quant_pre_process(str(opset13), str(prepared), skip_symbolic_shape=True)
        cache = Path(tmp) / "ranges.json"
        quantize_static(str(prepared), str(Path(tmp) / "int8.onnx"), Reader(),
                        calibration_cache_path=str(cache), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True, op_types_to_quantize=["Conv"],
                        calibrate_method=CalibrationMethod[METHOD],
                        extra_options={"CalibPercentile": PERCENTILE})  # fmt: skip
        return json.loads(cache.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="calibrate the int8 OCR recogniser")
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--crops", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ocr_int8.models_dir() / ocr_int8.RANGES)
    args = parser.parse_args(argv)
    found = crops(args.documents)
    random.Random(0).shuffle(found)
    inputs = windows(found[: args.crops])
    spec = {
        "about": "activation ranges of PP-OCRv6_rec_small's convolutions, calibrated by"
        " bench/ocr_calibrate.py on synthetic documents (core.demo); see ocr_models/README.md",
        "source_sha256": ocr_int8._sha256(ocr_int8.source_model()),
        "method": METHOD,
        "percentile": PERCENTILE,
        "op_types": ["Conv"],
        "exclude": [],
        "documents": args.documents,
        "crops": min(args.crops, len(found)),
        "windows": len(inputs),
        "ranges": calibrate(inputs),
    }
    args.out.write_text(json.dumps(spec, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(spec['ranges']['data'])} tensor ranges from {spec['crops']} crops")


if __name__ == "__main__":
    main()
