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
