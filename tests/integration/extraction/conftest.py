"""Fixtures for the extraction integration tests: the loopback OpenAI fake and documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.config import Settings
from core.demo.synthetic_invoices import SyntheticInvoice, generate_invoice
from core.extraction.document import Document, load_document
from tests.fakes.openai_fake import FakeOpenAI


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The module's fake server, reset (script, records, latency, responder) for each test."""
    fake_server.reset()
    fake_server.latency = 0.0
    default = fake_server.default
    yield fake_server
    fake_server.default = default
    fake_server.reset()


@pytest.fixture
def openai_settings(fake: FakeOpenAI, tmp_path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "openai_api_key": "sk-test-loopback",
            "openai_base_url": fake.base_url,
            "openai_timeout_seconds": 5.0,
            "openai_max_retries": 2,
            "openai_vision": False,
            "data_dir": tmp_path,
            # These tests exercise the LLM path itself: routing off unless a test turns it on.
            "llm_routing_min_confidence": 1.0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def invoices() -> list[SyntheticInvoice]:
    """A few text-layer invoices in different locales and layouts."""
    return [
        generate_invoice(101, locale="de_DE", template="letter", n_items=3),
        generate_invoice(102, locale="en_US", template="band", n_items=2),
        generate_invoice(103, locale="fr_FR", template="letter", n_items=4),
        generate_invoice(104, locale="de_CH", template="minimal", n_items=1, credit_note=True),
    ]


def load(inv: SyntheticInvoice, *, ocr: bool = False) -> Document:
    return load_document(
        inv.data, filename=inv.filename, max_bytes=50_000_000, max_pages=50, ocr=ocr
    )
