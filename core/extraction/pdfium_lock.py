"""One process-wide lock around PDFium.

PDFium is not thread-safe, not even across different documents (pypdfium2 documentation,
"Incompatibility with Threading"): two threads inside it at once crash or corrupt the process.
Every caller that opens, reads or renders a PDF with pypdfium2 (document loading, page images
for the LLM, previews, the synthetic generator) holds this lock while it does, and closes what
it opened before letting go, so no PDFium object is finalized later on another thread.
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
