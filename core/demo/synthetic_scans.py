"""Turn a generated PDF into what a scanner or phone produces: no text layer, skew, noise.

Pages are rendered with pypdfium2, converted to grayscale, rotated a few degrees (white fill),
blurred slightly, given Gaussian noise and dust, then saved as PNG, JPEG, (multi-page) TIFF or an
image-only PDF. Deterministic given the seed.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

from core.extraction.pdfium_lock import PDFIUM_LOCK

SCAN_KINDS = ("scan_png", "scan_jpeg", "scan_tiff", "scan_pdf")
SINGLE_PAGE_KINDS = frozenset({"scan_png", "scan_jpeg"})
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "scan_pdf": "application/pdf",
    "scan_png": "image/png",
    "scan_jpeg": "image/jpeg",
    "scan_tiff": "image/tiff",
}
EXTENSIONS = {
    "pdf": "pdf",
    "scan_pdf": "pdf",
    "scan_png": "png",
    "scan_jpeg": "jpg",
    "scan_tiff": "tiff",
}


def render_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Rasterize every page of ``pdf`` at ``dpi`` as grayscale PIL images."""
    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            images = []
            for index in range(len(doc)):
                page = doc[index]
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                images.append(bitmap.to_pil().convert("L"))
                bitmap.close()
                page.close()
            return images
        finally:
            doc.close()


def degrade(image: Image.Image, rng: np.random.Generator, *, max_angle: float = 3.0) -> Image.Image:
    """Skew, blur and noise one page the way a cheap scanner does."""
    angle = float(rng.uniform(0.3, max_angle)) * (1 if rng.random() < 0.5 else -1)
    out = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.2, 0.8))))
    arr = np.asarray(out, dtype=np.float32)
    arr = arr * float(rng.uniform(0.88, 1.0)) + float(rng.uniform(0, 18))  # paper tone, contrast
    arr += rng.normal(0.0, float(rng.uniform(3, 10)), arr.shape)
    dust = rng.random(arr.shape) < 0.0006
    arr[dust] = rng.uniform(0, 90, int(dust.sum()))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), mode="L")


def make_scan(pdf: bytes, kind: str, seed: int, *, dpi: int | None = None) -> bytes:
    """Encode the degraded pages of ``pdf`` in the container ``kind`` names."""
    rng = np.random.default_rng(seed)
    dpi = dpi or int(rng.choice([150, 175, 200]))
    pages = [degrade(img, rng) for img in render_pages(pdf, dpi)]
    buf = io.BytesIO()
    if kind == "scan_png":
        pages[0].save(buf, format="PNG", dpi=(dpi, dpi), optimize=False)
    elif kind == "scan_jpeg":
        pages[0].save(buf, format="JPEG", quality=int(rng.integers(60, 90)), dpi=(dpi, dpi))
    elif kind == "scan_tiff":
        pages[0].save(
            buf,
            format="TIFF",
            save_all=True,
            append_images=pages[1:],
            compression="tiff_lzw",
            dpi=(dpi, dpi),
        )
    elif kind == "scan_pdf":
        fixed = time.gmtime(1_704_067_200)  # a fixed date: same seed, same bytes
        pages[0].save(
            buf,
            format="PDF",
            save_all=True,
            append_images=pages[1:],
            resolution=float(dpi),
            creationDate=fixed,
            modDate=fixed,
        )
    else:
        raise ValueError(f"unknown scan kind {kind!r}; expected one of {SCAN_KINDS}")
    return buf.getvalue()
