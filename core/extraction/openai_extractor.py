"""OpenAI extractor: structured outputs against ``LLMInvoice``, grounded, explicit retry loop.

The only module that imports ``openai``. Works with any OpenAI-compatible base URL (Azure OpenAI,
vLLM, Ollama). The SDK's own retries are off (``max_retries=0``) so the policy is ours and
testable: exponential backoff with jitter on 429, 5xx and timeouts, never sooner than the
server's ``Retry-After``; a refusal or malformed answer is not retried (temperature 0 would say
the same again) and raises a typed ``UpstreamError`` so the pipeline can fall back to offline.
"""

from __future__ import annotations

import base64
import email.utils
import io
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pydantic
from openai import OpenAI

from core.config import Settings
from core.errors import (
    ConfigurationError,
    InvoiceFlowError,
    LLMMalformedOutput,
    LLMRefusal,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamTimeout,
)
from core.extraction.document import Document, render_page_image
from core.extraction.grounding import DocumentText
from core.extraction.llm_schema import LLMInvoice, to_extraction
from core.extraction.prompts import (
    PROMPT_VERSION,
    VendorExample,
    build_messages,
    prompt_version,
)
from core.extraction.schema import Extraction, TokenUsage

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 409, 429})
# A page with less text than this is sent as an image too (when vision is on).
MIN_PAGE_TEXT = 40


class OpenAIExtractor:
    """Reads a document with an OpenAI-compatible chat model; values are grounded in its text."""

    name = "openai"
    version = f"1.0.0+{PROMPT_VERSION}"

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        max_retry_after: float = 60.0,
        vision_dpi: int = 150,
        max_vision_pages: int = 4,
    ) -> None:
        if settings.openai_api_key is None:
            raise ConfigurationError("the OpenAI extractor needs OPENAI_API_KEY")
        self.settings = settings
        self.model = settings.openai_model
        self.timeout = settings.openai_timeout_seconds
        self.max_retries = max(0, settings.openai_max_retries)
        self.vision = settings.openai_vision
        self._sleep, self._rng = sleep, rng or random.Random()
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.max_retry_after = max_retry_after
        self.vision_dpi, self.max_vision_pages = vision_dpi, max_vision_pages
        self._client = OpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout=self.timeout,
            max_retries=0,  # our loop below is the only retry policy
        )
        self._lock = threading.Lock()
        self.calls = 0  # HTTP requests made, retries included (benchmarks and tests read it)

    def extract(self, document: Document, *, examples: Sequence[VendorExample] = ()) -> Extraction:
        """Extract ``document``; raises ``UpstreamError`` subclasses when the model fails.

        ``examples``: the vendor's corrected fields of this client (``core.extraction.prompts``);
        they change the prompt version."""
        text = document.full_text
        images, skipped = self._page_images(document)
        notes: list[str] = []
        try:
            completion, truncated = self._ask(text, document.sha256, images, examples)
        except UpstreamError as exc:
            # A text-only model behind an OpenAI-compatible URL answers 400 to image parts:
            # when there is text to read, ask again without the images.
            if not images or exc.details.get("status") != 400 or not text.strip():
                raise
            images, notes = [], ["vision_rejected_by_model"]
            completion, truncated = self._ask(text, document.sha256, images, examples)
        if not completion.choices:
            raise LLMMalformedOutput("the model returned no choices")
        message = completion.choices[0].message
        if getattr(message, "refusal", None):
            raise LLMRefusal(f"the model refused to extract this document: {message.refusal}")
        parsed = message.parsed
        if parsed is None:
            raise LLMMalformedOutput("the model returned no structured answer")
        ex = to_extraction(parsed, DocumentText(text))
        version = prompt_version(examples)
        ex.extractor = self.name
        ex.extractor_version = self.version.replace(PROMPT_VERSION, version, 1)
        ex.model = completion.model or self.model
        ex.prompt_version = version
        usage = completion.usage
        if usage is not None:
            ex.token_usage = TokenUsage(
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens,
            )
        ex.source = "llm_vision" if images else "llm_text"
        ex.page_count = document.page_count
        if truncated:
            ex.warnings.append("document_truncated_for_llm")
        if skipped:
            ex.warnings.append(f"vision_pages_skipped:{skipped}")
        ex.warnings.extend(notes)
        return ex

    def _ask(
        self, text: str, sha256: str, images: list[str], examples: Sequence[VendorExample] = ()
    ) -> tuple[Any, bool]:
        """Build the messages (document text, then page images) and make the call."""
        system, user, truncated = build_messages(
            text, sha256, has_images=bool(images), examples=examples
        )
        content: Any = user
        if images:
            content = [{"type": "text", "text": user}] + [
                {"type": "image_url", "image_url": {"url": url, "detail": "high"}} for url in images
            ]
        messages = [{"role": "system", "content": system}, {"role": "user", "content": content}]
        return self._complete(messages), truncated

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()

    def extract_many(self, documents: Sequence[Document]) -> list[Extraction | InvoiceFlowError]:
        """Extract many documents, at most ``settings.openai_concurrency`` requests at a time."""

        def one(doc: Document) -> Extraction | InvoiceFlowError:
            try:
                return self.extract(doc)
            except InvoiceFlowError as exc:
                return exc

        workers = max(1, min(self.settings.openai_concurrency, len(documents)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="openai") as pool:
            return list(pool.map(one, documents))

    def _page_images(self, document: Document) -> tuple[list[str], int]:
        """Data URLs of scanned or text-less pages (bounded), and how many were left out."""
        if not self.vision:
            return [], 0
        wanted = [
            p.number
            for p in document.pages
            if p.source == "ocr" or len(p.text.strip()) < MIN_PAGE_TEXT
        ]
        urls = []
        for number in wanted[: self.max_vision_pages]:
            image = render_page_image(document, number, dpi=self.vision_dpi)
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            urls.append("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())
        return urls, max(0, len(wanted) - self.max_vision_pages)

    def _complete(self, messages: list[dict[str, Any]]) -> Any:
        """One structured-output call with the retry policy; returns the parsed completion."""
        last: UpstreamError | None = None
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            with self._lock:
                self.calls += 1
            try:
                return self._client.chat.completions.parse(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    response_format=LLMInvoice,
                    temperature=0,
                    timeout=self.timeout,
                )
            except (pydantic.ValidationError, ValueError) as exc:
                raise LLMMalformedOutput(
                    "the model's answer is not valid JSON for the schema"
                ) from exc
            except openai.LengthFinishReasonError as exc:
                raise LLMMalformedOutput("the model's answer was cut off (length limit)") from exc
            except openai.ContentFilterFinishReasonError as exc:
                raise LLMRefusal("the model's content filter rejected this document") from exc
            except openai.APITimeoutError as exc:
                last = UpstreamTimeout(f"the model did not answer within {self.timeout:g} s")
                last.__cause__ = exc
            except openai.APIConnectionError as exc:
                last = UpstreamError("cannot reach the model endpoint")
                last.__cause__ = exc
            except openai.APIStatusError as exc:
                status = exc.status_code
                if status not in RETRYABLE_STATUS and status < 500:
                    raise UpstreamError(
                        f"the model endpoint rejected the request (HTTP {status})", status=status
                    ) from exc
                retry_after = parse_retry_after(exc.response.headers)
                cls = UpstreamRateLimited if status == 429 else UpstreamError
                last = cls(f"the model endpoint answered HTTP {status}", status=status)
                last.__cause__ = exc
                if retry_after is not None and retry_after > self.max_retry_after:
                    raise last from exc  # waiting that long would stall a worker: fall back now
            except openai.OpenAIError as exc:  # anything else the SDK raises stays typed
                raise UpstreamError(f"the model call failed ({type(exc).__name__})") from exc
            if attempt == self.max_retries:
                break
            delay = self.backoff_delay(attempt, retry_after)
            log.warning(
                "openai call failed (%s); retry %d/%d in %.2f s",
                last.code if last else "?",
                attempt + 1,
                self.max_retries,
                delay,
            )
            self._sleep(delay)
        assert last is not None
        raise last

    def backoff_delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (50-100 %), never below the server's Retry-After."""
        base = min(self.backoff_cap, self.backoff_base * (2**attempt))
        jittered = base * (0.5 + self._rng.random() / 2)
        return max(jittered, retry_after or 0.0)


def parse_retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` / ``retry-after`` (number or HTTP date), else None."""
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            return max(0.0, float(ms) / 1000)
        raw = headers.get("retry-after")
        if raw is None:
            return None
        try:
            return max(0.0, float(raw))
        except ValueError:
            when = email.utils.parsedate_to_datetime(raw)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None
