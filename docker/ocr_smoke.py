#!/usr/bin/env python3
"""Build-time smoke check: the OCR models are inside the image and read text with no network.

rapidocr-onnxruntime ships its ONNX models in the wheel (``rapidocr_onnxruntime/models``). This
script fails the image build if they are missing, if anything tries to open a network connection
while loading them, or if they cannot read a rendered line of text.
"""

from __future__ import annotations

import socket
import sys
from importlib.resources import files

EXPECTED_TEXT = "INVOICE 4711"


def _forbid_network() -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access during the OCR smoke check: models must be local")

    socket.socket.connect = refuse  # type: ignore[method-assign,assignment]
    socket.create_connection = refuse  # type: ignore[assignment]


def _model_files() -> list[str]:
    models = files("rapidocr_onnxruntime") / "models"
    return sorted(p.name for p in models.iterdir() if p.name.endswith(".onnx"))


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
    names = _model_files()
    kinds = {kind for kind in ("det", "rec", "cls") if any(f"_{kind}_" in n for n in names)}
    if kinds != {"det", "rec", "cls"}:
        print(f"OCR models missing from the wheel: found {names}", file=sys.stderr)
        return 1
    from rapidocr_onnxruntime import RapidOCR

    result, _elapsed = RapidOCR()(_rendered_text())
    text = " ".join(line[1] for line in (result or []))
    if "4711" not in text:
        print(f"OCR smoke check read {text!r}, expected {EXPECTED_TEXT!r}", file=sys.stderr)
        return 1
    print(f"OCR offline OK: models {', '.join(names)}; read {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
