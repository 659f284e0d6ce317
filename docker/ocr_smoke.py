#!/usr/bin/env python3
"""Build-time smoke check: the OCR models are inside the image and read text with no network.

rapidocr ships its ONNX models in the wheel (``rapidocr/models``); the product's engine
(``core.extraction.ocr``) loads these same files by explicit path, with the recogniser's int8
version made at install time (``python -m core.extraction.ocr_int8``, before this check in the
image build). This script fails the image build if any of them is missing, if anything tries
to open a network connection while loading them, or if they cannot read a rendered line of
text. It needs only the installed packages (no ``PYTHONPATH``), so it runs the same in the image
build, in CI and from a checkout.
"""

from __future__ import annotations

import socket
import sys
from importlib.resources import files
from pathlib import Path

EXPECTED_TEXT = "INVOICE 4711"
# The files core.extraction.ocr.MODELS names; a test keeps the two lists equal.
MODELS = {
    "det": "PP-OCRv6_det_small.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
# core.extraction.ocr_int8.INT8_MODEL, in core/extraction/ocr_models (a test keeps them equal).
INT8_REC = "PP-OCRv6_rec_small.int8.onnx"


def _forbid_network() -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access during the OCR smoke check: models must be local")

    socket.socket.connect = refuse  # type: ignore[method-assign,assignment]
    socket.create_connection = refuse  # type: ignore[assignment]


def _rendered_text() -> object:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (640, 120), "white")
    font = ImageFont.load_default(size=48)
    ImageDraw.Draw(image).text((20, 30), EXPECTED_TEXT, fill="black", font=font)
    return np.asarray(image)


def main() -> int:
    """Check the models exist, load without network and OCR a rendered line."""
    _forbid_network()
    folder = Path(str(files("rapidocr") / "models"))
    missing = [name for name in MODELS.values() if not (folder / name).is_file()]
    if missing:
        print(f"OCR models missing from the wheel ({folder}): {missing}", file=sys.stderr)
        return 1
    int8 = Path(str(files("core.extraction") / "ocr_models")) / INT8_REC
    if not int8.is_file():
        print(f"int8 OCR recogniser missing ({int8}): run python -m core.extraction.ocr_int8",
              file=sys.stderr)  # fmt: skip
        return 1
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Det.model_path": str(folder / MODELS["det"]),
            "Rec.model_path": str(int8),
            "Cls.model_path": str(folder / MODELS["cls"]),
        }
    )
    result = engine(_rendered_text(), use_cls=False)
    text = " ".join(str(t) for t in (result.txts or ()))
    if "4711" not in text:
        print(f"OCR smoke check read {text!r}, expected {EXPECTED_TEXT!r}", file=sys.stderr)
        return 1
    names = ", ".join(sorted([*MODELS.values(), INT8_REC]))
    print(f"OCR offline OK: models {names}; read {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
