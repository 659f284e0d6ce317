"""Document preview: PDF pages rendered to images with pypdfium2 (images are shown as they are).

The cache key is the document bytes themselves, so a hit can only return pictures of a document
the caller already holds: nothing leaks between users through it. It is bounded in entries.
"""

from __future__ import annotations

import io

import streamlit as st

MAX_PREVIEW_PAGES = 5


@st.cache_data(max_entries=32, show_spinner=False)
def render_pages(
    content: bytes, *, scale: float = 1.4, max_pages: int = MAX_PREVIEW_PAGES
) -> list[bytes]:
    """PNG bytes of the first pages of a PDF, or the image itself; [] when not previewable."""
    if content[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        from core.extraction.pdfium_lock import PDFIUM_LOCK

        pngs: list[bytes] = []
        with PDFIUM_LOCK:  # PDFium is not thread-safe; Streamlit sessions are threads
            pdf = pdfium.PdfDocument(content)
            try:
                for index in range(min(len(pdf), max_pages)):
                    page = pdf[index]
                    bitmap = page.render(scale=scale)
                    image = bitmap.to_pil().convert("RGB")
                    bitmap.close()
                    page.close()
                    buffer = io.BytesIO()
                    image.save(buffer, format="PNG")
                    pngs.append(buffer.getvalue())
            finally:
                pdf.close()
        return pngs
    if content[:8] == b"\x89PNG\r\n\x1a\n" or content[:3] == b"\xff\xd8\xff":
        return [content]
    return []


def _window(
    width: float, height: float, bbox: tuple[float, float, float, float] | None, zoom: float
) -> tuple[float, float, float, float]:
    """The part of a page (points) shown at ``zoom``: centred on the box, inside the page; when
    zoomed in, a band wider than high, so the box's surroundings fit on the screen."""
    w = width / zoom
    h = height if zoom <= 1 else min(height / zoom, w * 0.6)
    cx, cy = ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2) if bbox else (width / 2, height / 2)
    x0 = min(max(0.0, cx - w / 2), width - w)
    y0 = min(max(0.0, cy - h / 2), height - h)
    return x0, y0, x0 + w, y0 + h


@st.cache_data(max_entries=64, show_spinner=False)
def highlighted_page(
    content: bytes,
    page_number: int,
    bbox: tuple[float, float, float, float] | None = None,
    zoom: float = 1.0,
    width_px: int = 900,
) -> bytes | None:
    """PNG of one page (1-based) at ``zoom`` (1 = the whole page), centred on ``bbox`` (PDF
    points, top-left origin) and with that box highlighted; None when not previewable."""
    from PIL import Image, ImageDraw

    zoom = min(max(zoom, 1.0), 6.0)
    if content[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        from core.extraction.pdfium_lock import PDFIUM_LOCK

        with PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(content)
            try:
                if not 1 <= page_number <= len(pdf):
                    return None
                page = pdf[page_number - 1]
                width, height = page.get_size()
                x0, y0, x1, y1 = _window(width, height, bbox, zoom)
                scale = width_px / (x1 - x0)
                # crop = points cut from the left, bottom, right and top edges
                bitmap = page.render(scale=scale, crop=(x0, height - y1, width - x1, y0))
                image = bitmap.to_pil().convert("RGB")
                bitmap.close()
                page.close()
            finally:
                pdf.close()
    elif content[:8] == b"\x89PNG\r\n\x1a\n" or content[:3] == b"\xff\xd8\xff":
        from core.extraction.document import image_points_per_pixel

        source = Image.open(io.BytesIO(content))
        ppp = image_points_per_pixel(source)
        full = source.convert("RGB")
        width, height = full.width * ppp, full.height * ppp
        x0, y0, x1, y1 = _window(width, height, bbox, zoom)
        crop = full.crop((round(x0 / ppp), round(y0 / ppp), round(x1 / ppp), round(y1 / ppp)))
        scale = width_px / (x1 - x0)
        image = crop.resize((width_px, max(1, round((y1 - y0) * scale))))
    else:
        return None
    if bbox is not None:
        pad = 3.0
        box = [
            (bbox[0] - pad - x0) * scale,
            (bbox[1] - pad - y0) * scale,
            (bbox[2] + pad - x0) * scale,
            (bbox[3] + pad - y0) * scale,
        ]
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        draw.rectangle(box, fill=(255, 200, 0, 70), outline=(230, 60, 0, 255), width=3)
        image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
