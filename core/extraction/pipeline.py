"""The extraction orchestrator: cache, load, e-invoice XML | OpenAI | offline, validate.

Order (ARCHITECTURE.md): the cache first (same bytes + same extractor versions + model = no
work); then the document's e-invoice XML when present and allowed (it wins); else the LLM when
configured; else the offline extractor. An LLM failure after its retry budget falls back to
offline and says so (``fallback_reason`` + a warning); such results are not cached, so the next
run tries the LLM again. Validation turns arithmetic and shape checks into confidence on every
result, whichever extractor produced it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from core.config import Settings
from core.errors import (
    ConfigurationError,
    DocumentError,
    InvoiceFlowError,
    UnsupportedType,
    UpstreamError,
)
from core.extraction.base import Extractor
from core.extraction.cache import CacheKey, ExtractionCache
from core.extraction.document import XML, Document, load_document
from core.extraction.prompts import VendorExample, prompt_version
from core.extraction.schema import Extraction

log = logging.getLogger(__name__)

PIPELINE_VERSION = "1"
Mode = Literal["auto", "offline", "openai"]


class ExtractionPipeline:
    """Turns uploaded bytes into a validated ``Extraction``; safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        cache: ExtractionCache | None = None,
        *,
        openai_extractor: Extractor | None = None,
        offline_extractor: Extractor | None = None,
        einvoice_extractor: Extractor | None = None,
    ) -> None:
        self.settings, self.cache = settings, cache
        self._openai, self._offline, self._einvoice = (
            openai_extractor,
            offline_extractor,
            einvoice_extractor,
        )
        self._init_lock = threading.Lock()
        # The vendor master of the call in progress, per thread (extract_many runs threads).
        self._known_vendors = threading.local()
        # Loading, OCR and rules are CPU-bound: no more of them at once than there are cores,
        # however many LLM requests are in flight.
        self._cpu = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))

    def close(self) -> None:
        """Release what the extractors hold (the OpenAI HTTP pool)."""
        closer = getattr(self._openai, "close", None)
        if callable(closer):
            closer()

    # Extractors are built on first use so offline-only runs never construct an OpenAI client.
    def _get(self, which: str) -> Extractor:
        with self._init_lock:
            if which == "openai" and self._openai is None:
                from core.extraction.openai_extractor import OpenAIExtractor

                self._openai = OpenAIExtractor(self.settings)
            if which == "offline" and self._offline is None:
                from core.extraction.offline_extractor import OfflineExtractor

                self._offline = OfflineExtractor()
            if which == "einvoice" and self._einvoice is None:
                from core.extraction.einvoice_extractor import EInvoiceExtractor

                self._einvoice = EInvoiceExtractor()
            found = {"openai": self._openai, "offline": self._offline, "einvoice": self._einvoice}
            extractor = found[which]
        assert extractor is not None
        return extractor

    def resolve_mode(self, extractor: Mode = "auto") -> Literal["offline", "openai"]:
        """Which visual extractor a request uses: 'openai' only when a key is configured."""
        if extractor == "openai" or (
            extractor == "auto" and self.settings.extraction_backend == "openai"
        ):
            if self.settings.openai_api_key is None and self._openai is None:
                raise ConfigurationError("the OpenAI extractor needs OPENAI_API_KEY")
            return "openai"
        if extractor == "offline" or self.settings.extraction_backend == "offline":
            return "offline"
        if self.settings.openai_enabled or self._openai is not None:
            return "openai"
        return "offline"

    def cache_key(self, sha256: str, mode: str, einvoice: bool) -> CacheKey:
        """Key = file hash + the version of every extractor that could shape the result + model."""
        from core.extraction import validation

        # Cached results are validated results: a change to the checks is a new key too.
        checks = getattr(validation, "VALIDATION_VERSION", "0")
        parts = [
            f"pipeline={PIPELINE_VERSION}",
            f"mode={mode}",
            f"ocr={int(self.settings.ocr_enabled)}",
            f"validation={checks}",
        ]
        if einvoice:
            parts.append(f"einvoice={self._version('einvoice')}")
        model = None
        if mode == "openai":
            parts.append(f"openai={self._version('openai')}")
            parts.append(f"route={self.settings.llm_routing_min_confidence:g}")
            parts.append(f"vision={int(self.settings.openai_vision)}")
            model = self.settings.openai_model
        else:
            parts.append(f"offline={self._version('offline')}")
        return CacheKey(sha256=sha256, extractor_version=";".join(parts), model=model)

    def _version(self, which: str) -> str:
        return self._get(which).version

    def extract(
        self,
        data: bytes,
        *,
        filename: str | None = None,
        extractor: Mode = "auto",
        einvoice: bool = True,
        cache: ExtractionCache | None = None,
        known_vendors: Sequence[str] | None = None,
        vendor_examples: Sequence[VendorExample] = (),
    ) -> Extraction:
        """Extract one file; bad input raises DocumentError, UnsupportedType or TooLarge.

        ``cache`` overrides the pipeline's cache for this call (e.g. a per-client
        ``DbExtractionCache`` in a worker). ``known_vendors`` (the client's vendor master)
        helps the offline extractor choose the vendor name; it is part of the cache key.
        ``vendor_examples`` (the known vendor's corrected fields, of the caller's client only)
        go into the LLM's prompt; their prompt version is part of the cache key.
        """
        mode = self.resolve_mode(extractor)
        key = self.cache_key(hashlib.sha256(data).hexdigest(), mode, einvoice)
        if known_vendors:
            digest = hashlib.sha256("\n".join(sorted(known_vendors)).encode()).hexdigest()[:16]
            key = CacheKey(key.sha256, f"{key.extractor_version};vendors={digest}", key.model)
        vendor_examples = tuple(vendor_examples) if mode == "openai" else ()
        if vendor_examples:
            version = prompt_version(vendor_examples)
            key = CacheKey(key.sha256, f"{key.extractor_version};prompt={version}", key.model)
        cache = cache if cache is not None else self.cache
        if (hit := _cache_get(cache, key)) is not None:
            return hit
        with self._cpu:
            document = load_document(
                data,
                filename=filename,
                max_bytes=self.settings.max_upload_bytes,
                max_pages=self.settings.max_pages,
                ocr=self.settings.ocr_enabled,
                max_ocr_pages=self.settings.ocr_page_budget,
            )
        self._known_vendors.value = known_vendors
        try:
            result, cacheable = self._read(document, mode, einvoice, vendor_examples)
        finally:
            self._known_vendors.value = None
        from core.extraction.validation import validate

        result = validate(result, document.full_text)
        if document.pages and not result.layout:
            from core.extraction.hints import layout_of

            result.layout = layout_of(document)
        if cacheable:
            _cache_put(cache, key, result)
        return result

    def _read(
        self,
        document: Document,
        mode: str,
        einvoice: bool,
        examples: Sequence[VendorExample] = (),
    ) -> tuple[Extraction, bool]:
        notes: list[str] = []
        if document.einvoice_xml is not None:
            if einvoice:
                try:
                    with self._cpu:
                        return self._get("einvoice").extract(document), True
                except (DocumentError, UnsupportedType) as exc:
                    if document.media_type == XML:
                        raise
                    # A broken attachment must not hide the visible invoice.
                    notes.append(f"embedded_xml_unreadable:{exc.code}")
            elif document.media_type == XML:
                raise UnsupportedType(
                    "this is an e-invoice XML file and e-invoice reading is switched off"
                )
        if mode == "openai":
            threshold = self.settings.llm_routing_min_confidence
            if threshold < 1.0 and document.media_type != XML:
                from core.extraction.routing import offline_is_enough

                with self._cpu:
                    offline = self._offline_extract(document)
                keep, why = offline_is_enough(offline, document.full_text, threshold)
                if keep:
                    offline.warnings.append(f"llm_skipped: {why}")
                    offline.warnings.extend(notes)
                    return offline, True
            try:
                llm = self._get("openai")
                result = (
                    llm.extract(document, examples=examples)  # type: ignore[call-arg]
                    if examples
                    else llm.extract(document)
                )
                result.warnings.extend(document.notes)
                result.warnings.extend(notes)
                return result, True
            except UpstreamError as exc:
                log.warning("LLM extraction failed, falling back to offline: %s", exc.code)
                with self._cpu:
                    result = self._offline_extract(document)
                result.fallback_reason = f"{exc.code}: {exc.message}"
                result.warnings.append(f"llm_fallback:{exc.code}")
                result.warnings.extend(notes)
                return result, False
        with self._cpu:
            result = self._offline_extract(document)
        result.warnings.extend(notes)
        return result, True

    def _offline_extract(self, document: Document) -> Extraction:
        known = getattr(self._known_vendors, "value", None)
        extractor = self._get("offline")
        if known:
            return extractor.extract(document, known_vendors=known)  # type: ignore[call-arg]
        return extractor.extract(document)

    def extract_many(
        self,
        files: Sequence[tuple[bytes, str | None]],
        *,
        extractor: Mode = "auto",
        einvoice: bool = True,
    ) -> list[Extraction | InvoiceFlowError]:
        """Extract ``(data, filename)`` pairs concurrently; one bad file never stops the batch."""

        def one(item: tuple[bytes, str | None]) -> Extraction | InvoiceFlowError:
            data, name = item
            try:
                return self.extract(data, filename=name, extractor=extractor, einvoice=einvoice)
            except InvoiceFlowError as exc:
                return exc
            except Exception as exc:  # a bug must cost one file, not the batch
                log.exception("unexpected extraction failure for %s", name)
                return InvoiceFlowError(
                    f"internal error while reading this file ({type(exc).__name__})",
                    code="internal_error",
                )

        # LLM calls wait on the network: run as many as the configured concurrency. Offline
        # work is CPU-bound: one thread per core.
        if self.resolve_mode(extractor) == "openai":
            workers = self.settings.openai_concurrency
        else:
            workers = os.cpu_count() or 1
        workers = max(1, min(workers, len(files) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="extract") as pool:
            return list(pool.map(one, files))


# The cache may only save work: a cache that cannot be read or written is logged and skipped.
def _cache_get(cache: ExtractionCache | None, key: CacheKey) -> Extraction | None:
    if cache is None:
        return None
    try:
        return cache.get(key)
    except InvoiceFlowError as exc:
        log.warning("extraction cache read failed (%s); extracting anyway", exc.code)
        return None


def _cache_put(cache: ExtractionCache | None, key: CacheKey, result: Extraction) -> None:
    if cache is None:
        return
    try:
        cache.put(key, result)
    except InvoiceFlowError as exc:
        log.warning("extraction cache write failed (%s); result kept, not cached", exc.code)
