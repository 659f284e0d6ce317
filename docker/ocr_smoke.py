#!/usr/bin/env python3
"""Build-time smoke check: the OCR models are inside the image and read text with no network.

rapidocr ships its ONNX models in the wheel (``rapidocr/models``), and the product's engine
(``core.extraction.ocr``) loads them by explicit path. This script fails the image build if they
are missing, if anything tries to open a network connection while loading them, or if they
cannot read a rendered line of text.
"""

from __future__ import annotations

import socket
import sys

EXPECTED_TEXT = "INVOICE 4711"


def _forbid_network() -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access during the OCR smoke check: models must be local")

    socket.socket.connect = refuse  # type: ignore[method-assign,assignment]
    socket.create_connection = refuse  # type: ignore[assignment]


def _rendered_text() -> object:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (640, 120), "white")
    font = ImageFont.load_default(size=48)
    ImageDraw.Draw(image).text((20, 30), EXPECTED_TEXT, fill="black", font=font)
    return image


def main() -> int:
    """Check the models exist, load without network and OCR a rendered line."""
    _forbid_network()
    from core.extraction.ocr import MODELS, model_dir, ocr_image

    folder = model_dir()
    missing = [name for name in MODELS.values() if not (folder / name).is_file()]
    if missing:
        print(f"OCR models missing from the wheel ({folder}): {missing}", file=sys.stderr)
        return 1
    words = ocr_image(_rendered_text(), points_per_pixel=1.0)  # type: ignore[arg-type]
    text = " ".join(w.text for w in words)
    if "4711" not in text:
        print(f"OCR smoke check read {text!r}, expected {EXPECTED_TEXT!r}", file=sys.stderr)
        return 1
    print(f"OCR offline OK: models {', '.join(sorted(MODELS.values()))}; read {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
