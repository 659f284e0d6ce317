"""The int8 text recogniser: PP-OCRv6 small (from the rapidocr wheel), its convolutions quantized.

The recogniser is most of a dense page's OCR time and convolutions are most of the recogniser;
int8 weights and activations (onnxruntime static quantization, QDQ format, per-channel weights)
cut its time by about a third. Activation ranges come from a calibration run over synthetic
invoices and receipts (``bench/ocr_calibrate.py``: no real documents; each activation's 99.99th
percentile) and are shipped as data (``ocr_models/rec_int8_ranges.json``); the model file is made
from the wheel's fp32 model with them at install time (``make install``), in the image build
(``Dockerfile``) or, when missing, on the first OCR call. Making it takes the ``onnx`` package
and a few seconds; no network, no calibration data.

    python -m core.extraction.ocr_int8          # make (or re-make) the int8 model
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
from importlib.resources import files
from pathlib import Path

from core.errors import DocumentError

SOURCE_MODEL = "PP-OCRv6_rec_small.onnx"
INT8_MODEL = "PP-OCRv6_rec_small.int8.onnx"
RANGES = "rec_int8_ranges.json"
_lock = threading.Lock()


def models_dir() -> Path:
    """The product's own OCR model folder (inside the package: ranges, licence, int8 model)."""
    return Path(str(files("core.extraction") / "ocr_models"))


def source_model() -> Path:
    return Path(str(files("rapidocr") / "models")) / SOURCE_MODEL


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recipe() -> dict:
    """The shipped ranges file: quantization settings, the source model's hash and the ranges."""
    return json.loads((models_dir() / RANGES).read_text(encoding="utf-8"))


def build(target: Path | None = None) -> Path:
    """Make the int8 recogniser from the wheel's fp32 model and the shipped ranges."""
    from onnx import load, save, version_converter
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    spec = recipe()
    source = source_model()
    if _sha256(source) != spec["source_sha256"]:
        raise DocumentError(
            f"the int8 OCR ranges were calibrated on another {SOURCE_MODEL} than the installed"
            " rapidocr wheel's: re-run bench/ocr_calibrate.py after upgrading rapidocr"
        )
    target = target or models_dir() / INT8_MODEL
    with tempfile.TemporaryDirectory(prefix="ocr-int8-") as tmp:
        opset13, prepared = Path(tmp) / "opset13.onnx", Path(tmp) / "prepared.onnx"
        cache = Path(tmp) / "ranges.json"
        cache.write_text(json.dumps(spec["ranges"]), encoding="utf-8")
        save(version_converter.convert_version(load(str(source)), 13), str(opset13))
        quant_pre_process(str(opset13), str(prepared), skip_symbolic_shape=True)
        staged = Path(tmp) / INT8_MODEL
        quantize_static(
            str(prepared),
            str(staged),
            calibration_data_reader=None,
            calibration_cache_path=str(cache),
            calibrate_method=CalibrationMethod[spec["method"]],
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=spec["op_types"],
            nodes_to_exclude=spec["exclude"],
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".int8-", suffix=".onnx")
        os.close(fd)
        Path(partial).write_bytes(staged.read_bytes())
        os.chmod(partial, 0o644)
        os.replace(partial, target)  # atomic: a concurrent reader sees the old file or the new
    return target


def int8_model() -> Path:
    """Path of the int8 recogniser, made on first use when the install did not make it."""
    path = models_dir() / INT8_MODEL
    with _lock:
        if not path.is_file():
            try:
                build(path)
            except ImportError as exc:
                raise DocumentError(
                    "the int8 OCR model is missing and the onnx package is not installed"
                ) from exc
            except OSError as exc:
                raise DocumentError(
                    f"the int8 OCR model is missing and cannot be made ({exc}):"
                    " run python -m core.extraction.ocr_int8 at install time"
                ) from exc
    return path


def main() -> int:
    path = build()
    print(f"int8 OCR recogniser: {path} ({path.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
