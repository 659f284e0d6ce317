"""A loopback fake of the OpenAI chat completions API (real HTTP via uvicorn), scriptable per test.

``FakeOpenAI`` serves ``POST /v1/chat/completions``. Each request consumes the next scripted
``Behaviour`` (then ``default`` applies): a structured answer built by a responder from the
document text found in the prompt, malformed JSON, a refusal, an HTTP error with ``Retry-After``,
a slow answer (for client timeouts), a cut-off (length) answer. Every request is recorded with its
arrival time and body, so tests can count calls and check waits.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.extraction.grounding import squash
from core.extraction.llm_schema import LLMInvoice
from core.extraction.parsing import find_amounts, find_currencies, find_dates
from tests.fakes.http_server import serve

Responder = Callable[[str], dict[str, Any]]
DOC_RE = re.compile(r"<<<DOCUMENT (\w+)>>>\n(.*)\n<<<END DOCUMENT \1>>>", re.S)
HEADER_NAMES = [n for n in LLMInvoice.model_fields if n not in ("tax_breakdown", "line_items")]


@dataclass
class Behaviour:
    """What the fake does for one request."""

    kind: str = "ok"  # ok | malformed | refusal | status | slow | length
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    responder: Responder | None = None


def ok(responder: Responder | None = None) -> Behaviour:
    return Behaviour("ok", responder=responder)


def status(code: int, retry_after: str | None = None) -> Behaviour:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Behaviour("status", status=code, headers=headers)


@dataclass
class Recorded:
    at: float
    body: dict[str, Any]

    @property
    def document_text(self) -> str:
        return document_text_of(self.body)


def document_text_of(body: dict[str, Any]) -> str:
    """The text between the prompt's document markers ('' when absent)."""
    for message in body.get("messages", []):
        content = message.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        for part in parts:
            if part.get("type") == "text" and (m := DOC_RE.search(part.get("text") or "")):
                return m.group(2)
    return ""


class FakeOpenAI:
    """The fake server; use as a context manager, read ``base_url`` and ``requests``."""

    def __init__(self, *, latency: float = 0.0, responder: Responder | None = None) -> None:
        self.latency = latency
        self.default = ok(responder or null_responder)
        self.requests: list[Recorded] = []
        self._script: list[Behaviour] = []
        self._lock = threading.Lock()
        self.base_url = ""
        self._cm: Any = None
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the server held at once
        self._stopping = threading.Event()
        self._generation = 0

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, in order."""
        with self._lock:
            self._script.extend(behaviours)

    @property
    def calls(self) -> int:
        return len(self.requests)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self.max_in_flight = self.in_flight = 0
            self._generation += 1

    def __enter__(self) -> FakeOpenAI:
        routes = [
            Route("/v1/chat/completions", self._handle, methods=["POST"]),
            Route("/fake/stats", self._stats, methods=["GET"]),
        ]
        self._cm = serve(Starlette(routes=routes))
        self.base_url = self._cm.__enter__() + "/v1"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._cm.__exit__(*exc)

    async def _stats(self, _request: Request) -> JSONResponse:
        """Counters for a fake running in another process (benchmarks)."""
        return JSONResponse({"calls": self.calls, "max_in_flight": self.max_in_flight})

    async def _handle(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._lock:
            self.requests.append(Recorded(time.monotonic(), body))
            behaviour = self._script.pop(0) if self._script else self.default
            generation = self._generation
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            # Sleep in small steps so reset() and shutdown cut short what an earlier test left.
            deadline = time.monotonic() + self.latency + behaviour.delay
            while (left := deadline - time.monotonic()) > 0:
                if generation != self._generation or self._stopping.is_set():
                    return JSONResponse({"error": {"message": "fake reset"}}, status_code=503)
                await asyncio.sleep(min(left, 0.05))
        finally:
            with self._lock:
                if generation == self._generation:  # requests from before reset() don't count
                    self.in_flight -= 1
        if behaviour.kind == "status":
            error = {"error": {"message": f"fake HTTP {behaviour.status}", "type": "fake"}}
            return JSONResponse(error, status_code=behaviour.status, headers=behaviour.headers)
        text = document_text_of(body)
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish = "stop"
        if behaviour.kind == "refusal":
            message["refusal"] = "I'm sorry, I can't help with that request."
        elif behaviour.kind == "malformed":
            message["content"] = '{"vendor_name": {"value": "Acme", "evidence": '
        elif behaviour.kind == "length":
            message["content"] = '{"vendor_name": {"value": "Ac'
            finish = "length"
        else:
            answer = (behaviour.responder or self.default.responder or null_responder)(text)
            message["content"] = json.dumps(answer)
        prompt_tokens = sum(len(json.dumps(m)) for m in body.get("messages", [])) // 4
        completion_tokens = len(message["content"] or "") // 4
        return JSONResponse(
            {
                "id": f"chatcmpl-fake-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )


@contextmanager
def fake_openai(**kwargs: Any) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(**kwargs) as fake:
        yield fake


def _empty_field() -> dict[str, Any]:
    return {"value": None, "evidence": None, "page": None}


def null_responder(_text: str) -> dict[str, Any]:
    """An answer with every field null (a model that found nothing)."""
    answer: dict[str, Any] = {name: _empty_field() for name in HEADER_NAMES}
    answer["tax_breakdown"], answer["line_items"] = [], []
    return answer


@dataclass
class _Line:
    page: int
    text: str
    squashed: str
    amounts: set[Decimal]
    dates: set[str]
    currencies: set[str]


def _index(text: str) -> list[_Line]:
    """Every line of the document with what it shows, parsed once per request."""
    out = []
    for page, page_text in enumerate(text.split("\f"), start=1):
        for line in page_text.splitlines():
            amounts = {abs(v) for _, _, v in find_amounts(line)}
            amounts |= {abs(v) for _, _, v in find_amounts(line, ",")}
            dates = {d.value.isoformat() for df in (True, False) for d in find_dates(line, df)}
            out.append(
                _Line(page, line.strip(), squash(line), amounts, dates, set(find_currencies(line)))
            )
    return out


def _locate(lines: list[_Line], kind: str, value: str) -> tuple[str | None, int | None]:
    """The first line that shows ``value`` (parsed as ``kind``), with its page."""
    wanted = squash(value)
    for line in lines:
        if kind == "amount":
            hit = abs(Decimal(value)) in line.amounts
        elif kind == "date":
            hit = value in line.dates
        elif kind == "currency":
            hit = value in line.currencies
        else:
            hit = bool(wanted) and wanted in line.squashed
        if hit:
            return line.text, line.page
    return None, None


def _kind(name: str) -> str:
    if name in ("subtotal", "tax", "total", "amount_due"):
        return "amount"
    if name in ("invoice_date", "due_date"):
        return "date"
    return "currency" if name == "currency" else "text"


def truth_responder(truths: list[dict[str, Any]], **overrides: Any) -> Responder:
    """Answer with the truth of whichever document is in the prompt (matched by invoice number).

    Evidence is the document line that shows each value, as an honest model would quote it.
    ``overrides`` replace whole fields, e.g. ``vendor_name={"value": "X", "evidence": "X"}``.
    """

    def respond(text: str) -> dict[str, Any]:
        flat = squash(text)
        truth = next((t for t in truths if squash(t["invoice_number"]) in flat), None)
        answer = null_responder(text)
        if truth is None:
            return answer
        lines = _index(text)
        for name in HEADER_NAMES:
            if name in truth:
                evidence, page = _locate(lines, _kind(name), str(truth[name]))
                if evidence is None and _kind(name) == "text":
                    evidence, page = str(truth[name]), 1  # multi-line values: quote the value
                answer[name] = {"value": str(truth[name]), "evidence": evidence, "page": page}
        for li in truth.get("line_items", []):
            evidence, page = _locate(lines, "text", li["description"])
            answer["line_items"].append(
                {
                    "description": li["description"],
                    "product_code": li.get("product_code"),
                    "quantity": li.get("quantity"),
                    "unit": li.get("unit"),
                    "unit_price": li.get("unit_price"),
                    "tax_rate": li.get("tax_rate"),
                    "amount": li.get("amount"),
                    "evidence": evidence,
                    "page": page,
                }
            )
        for name, value in overrides.items():
            answer[name] = {"page": 1, **value}
        return answer

    return respond


def main() -> None:
    """Serve the fake in its own process (so its CPU does not count against the client)."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="loopback OpenAI fake")
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--truths", type=Path, help="JSON list of truth dicts to answer with")
    parser.add_argument("--url-file", type=Path, required=True, help="where to write base_url")
    args = parser.parse_args()
    truths = json.loads(args.truths.read_text()) if args.truths else []
    with FakeOpenAI(latency=args.latency, responder=truth_responder(truths)) as fake:
        args.url_file.write_text(fake.base_url)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
