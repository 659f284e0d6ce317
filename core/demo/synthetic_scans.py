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

SCAN_KINDS = ("scan_png", "scan_jpeg", "scan_tiff", "scan_pdf", "photo_jpeg")
SINGLE_PAGE_KINDS = frozenset({"scan_png", "scan_jpeg", "photo_jpeg"})
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "scan_pdf": "application/pdf",
    "scan_png": "image/png",
    "scan_jpeg": "image/jpeg",
    "scan_tiff": "image/tiff",
    "photo_jpeg": "image/jpeg",
}
EXTENSIONS = {
    "pdf": "pdf",
    "scan_pdf": "pdf",
    "scan_png": "png",
    "scan_jpeg": "jpg",
    "scan_tiff": "tiff",
    "photo_jpeg": "jpg",
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


def photograph(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A phone photo of the page: on a table, seen slightly askew, lit unevenly, in colour."""
    w, h = image.size
    pad = int(0.08 * max(w, h))
    table = tuple(int(v) for v in rng.integers(60, 140, 3))
    canvas = Image.new("RGB", (w + 2 * pad, h + 2 * pad), table)  # type: ignore[arg-type]
    canvas.paste(image.convert("RGB"), (pad, pad))
    cw, ch = canvas.size
    jitter = [float(v) for v in rng.uniform(-0.02, 0.02, 8) * np.array([cw, ch] * 4)]
    # PERSPECTIVE maps output corners back into the input: small corner offsets = a tilted shot.
    src = (0 + jitter[0], 0 + jitter[1], cw + jitter[2], 0 + jitter[3],
           cw + jitter[4], ch + jitter[5], 0 + jitter[6], ch + jitter[7])  # fmt: skip
    coeffs = _perspective_coeffs((0, 0, cw, 0, cw, ch, 0, ch), src)
    shot = canvas.transform(canvas.size, Image.Transform.PERSPECTIVE, coeffs,
                            Image.Resampling.BICUBIC, fillcolor=table)  # fmt: skip
    arr = np.asarray(shot, dtype=np.float32)
    light = np.linspace(float(rng.uniform(0.7, 0.9)), float(rng.uniform(1.0, 1.1)), cw)
    arr *= light[None, :, None] * np.array([1.0, 0.98, 0.93])  # warm, uneven light
    arr += rng.normal(0.0, 6.0, arr.shape)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), mode="RGB")
    return out.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.6, 1.2))))


def _perspective_coeffs(dst: tuple[float, ...], src: tuple[float, ...]) -> tuple[float, ...]:
    rows = []
    for i in range(0, 8, 2):
        (x, y), (u, v) = dst[i : i + 2], src[i : i + 2]
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows, dtype=float), np.array(src, dtype=float))
    return tuple(float(c) for c in solution)


def make_scan(pdf: bytes, kind: str, seed: int, *, dpi: int | None = None) -> bytes:
    """Encode the degraded pages of ``pdf`` in the container ``kind`` names."""
    rng = np.random.default_rng(seed)
    dpi = dpi or int(rng.choice([150, 175, 200]))
    if kind == "photo_jpeg":
        photo = photograph(render_pages(pdf, dpi)[0], rng)
        buf = io.BytesIO()
        photo.save(buf, format="JPEG", quality=int(rng.integers(70, 90)))  # phones write no dpi
        return buf.getvalue()
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
