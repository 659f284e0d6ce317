"""The extraction pipeline: e-invoice XML wins, OpenAI when configured, offline fallback, cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import Settings
from core.demo.synthetic_invoices import generate_invoice
from core.errors import ConfigurationError, InvoiceFlowError, UnsupportedType
from core.extraction.cache import DiskCache, MemoryCache
from core.extraction.pipeline import ExtractionPipeline
from tests.fakes.openai_fake import Behaviour, ok, status, truth_responder

ZUGFERD = Path(__file__).resolve().parents[3].parent / "shared/benchmarks/extraction-dev/zugferd"


def _pipeline(settings: Settings, cache=None) -> ExtractionPipeline:
    from core.extraction.openai_extractor import OpenAIExtractor

    # Short backoff so the retry budget is spent in milliseconds, not seconds.
    return ExtractionPipeline(
        settings, cache=cache, openai_extractor=OpenAIExtractor(settings, backoff_base=0.01)
    )


def test_openai_is_used_when_configured_and_results_are_validated(
    fake, openai_settings, invoices
) -> None:
    inv = invoices[1]
    fake.default = ok(truth_responder([inv.truth]))
    result = _pipeline(openai_settings()).extract(inv.data, filename=inv.filename)
    assert result.extractor == "openai"
    assert result.fallback_reason is None
    assert result.to_flat_fields()["total"] == inv.truth["total"]
    assert fake.calls == 1


@pytest.mark.parametrize(
    ("script", "code"),
    [
        ([status(500)] * 3, "upstream_error"),
        ([status(429, "0")] * 3, "upstream_rate_limited"),
        ([Behaviour("malformed")], "llm_malformed_output"),
        ([Behaviour("refusal")], "llm_refusal"),
    ],
    ids=["500", "429", "malformed", "refusal"],
)
def test_llm_failure_falls_back_to_offline_and_says_so(
    fake, openai_settings, invoices, script, code
) -> None:
    inv = invoices[0]
    fake.default = ok(truth_responder([inv.truth]))
    fake.script(*script)
    cache = MemoryCache()
    pipeline = _pipeline(openai_settings(openai_max_retries=2), cache=cache)
    result = pipeline.extract(inv.data, filename=inv.filename)
    assert result.extractor == "offline"
    assert result.fallback_reason is not None and result.fallback_reason.startswith(code)
    assert f"llm_fallback:{code}" in result.warnings
    assert result.invoice_number.value == inv.truth["invoice_number"]  # offline still reads it
    # A fallback is not cached: the next run asks the model again (and now gets an answer).
    assert len(cache) == 0
    calls = fake.calls
    again = pipeline.extract(inv.data, filename=inv.filename)
    assert again.extractor == "openai" and fake.calls == calls + 1


@pytest.mark.parametrize("cache_kind", ["memory", "disk"])
def test_the_same_file_never_costs_a_second_llm_call(
    fake, openai_settings, invoices, tmp_path, cache_kind
) -> None:
    fake.default = ok(truth_responder([i.truth for i in invoices]))
    cache = MemoryCache() if cache_kind == "memory" else DiskCache(tmp_path / "cache")
    files = [(i.data, i.filename) for i in invoices]
    first = _pipeline(openai_settings(), cache).extract_many(files)
    assert fake.calls == len(invoices)
    # A new pipeline (a new process, for the disk cache) over the same files: no calls at all.
    second = _pipeline(openai_settings(), cache).extract_many(files)
    assert fake.calls == len(invoices)
    assert [r.to_flat_fields() for r in second] == [r.to_flat_fields() for r in first]


def test_a_different_model_is_a_different_cache_entry(fake, openai_settings, invoices) -> None:
    inv = invoices[2]
    fake.default = ok(truth_responder([inv.truth]))
    cache = MemoryCache()
    _pipeline(openai_settings(), cache).extract(inv.data)
    _pipeline(openai_settings(openai_model="gpt-4.1"), cache).extract(inv.data)
    assert fake.calls == 2


def test_without_a_key_auto_means_offline_and_openai_is_a_configuration_error(
    fake, tmp_path, invoices
) -> None:
    settings = Settings(openai_api_key=None, data_dir=tmp_path)
    pipeline = ExtractionPipeline(settings)
    result = pipeline.extract(invoices[0].data, filename=invoices[0].filename)
    assert result.extractor == "offline" and result.fallback_reason is None
    with pytest.raises(ConfigurationError):
        pipeline.extract(invoices[0].data, extractor="openai")
    assert fake.calls == 0


def test_offline_is_used_when_asked_even_with_a_key(fake, openai_settings, invoices) -> None:
    result = _pipeline(openai_settings()).extract(invoices[0].data, extractor="offline")
    assert result.extractor == "offline"
    assert fake.calls == 0


@pytest.mark.skipif(not ZUGFERD.is_dir(), reason="shared benchmarks not checked out")
def test_embedded_einvoice_xml_wins_unless_switched_off(fake, openai_settings) -> None:
    first = json.loads((ZUGFERD / "truth.jsonl").read_text().splitlines()[0])
    data = (ZUGFERD / first["file"]).read_bytes()
    pipeline = _pipeline(openai_settings())
    result = pipeline.extract(data, filename="zugferd.pdf")
    assert result.extractor == "einvoice"
    assert fake.calls == 0
    visual = pipeline.extract(data, filename="zugferd.pdf", einvoice=False)
    assert visual.extractor == "openai"
    assert fake.calls == 1


def test_standalone_xml_with_einvoice_off_is_unsupported(openai_settings) -> None:
    xml = b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:2"/>'
    with pytest.raises(UnsupportedType):
        _pipeline(openai_settings()).extract(xml, filename="x.xml", einvoice=False)


def test_one_bad_file_does_not_stop_a_batch(fake, openai_settings, invoices) -> None:
    fake.default = ok(truth_responder([i.truth for i in invoices]))
    files = [(invoices[0].data, "a.pdf"), (b"", "empty.pdf"), (b"MZ\x00junk", "x.exe")]
    results = _pipeline(openai_settings()).extract_many(files)
    assert not isinstance(results[0], InvoiceFlowError)
    assert isinstance(results[1], InvoiceFlowError) and results[1].code == "empty_document"
    assert isinstance(results[2], InvoiceFlowError) and results[2].code == "unsupported_type"


def test_scans_go_to_the_model_with_page_images(fake, openai_settings) -> None:
    scan = generate_invoice(77, kind="scan_jpeg", locale="de_DE", n_items=2)
    fake.default = ok(truth_responder([scan.truth]))
    settings = openai_settings(openai_vision=True, ocr_enabled=False)
    result = _pipeline(settings).extract(scan.data, filename=scan.filename)
    assert result.source == "llm_vision"
    parts = fake.requests[-1].body["messages"][1]["content"]
    assert any(p["type"] == "image_url" for p in parts)


def test_routing_keeps_a_confident_offline_reading_and_spends_no_llm_call(
    fake, openai_settings, invoices
) -> None:
    inv = invoices[0]  # a clean text-layer invoice: vendor, date, total, currency all labelled
    fake.default = ok(truth_responder([inv.truth]))
    result = _pipeline(openai_settings(llm_routing_min_confidence=0.6)).extract(inv.data)
    assert fake.calls == 0
    assert result.extractor == "offline"
    assert any(w.startswith("llm_skipped:") for w in result.warnings), result.warnings
    assert result.to_flat_fields()["total"] == inv.truth["total"]


def test_routing_sends_an_uncertain_reading_to_the_llm(fake, openai_settings, invoices) -> None:
    inv = invoices[0]
    fake.default = ok(truth_responder([inv.truth]))
    # No offline reading reaches a confidence of 1: the document goes to the model.
    result = _pipeline(openai_settings(llm_routing_min_confidence=0.999)).extract(inv.data)
    assert fake.calls == 1
    assert result.extractor == "openai"
    assert not any(w.startswith("llm_skipped:") for w in result.warnings)


def test_the_routing_threshold_is_part_of_the_cache_key(fake, openai_settings, invoices) -> None:
    inv = invoices[0]
    fake.default = ok(truth_responder([inv.truth]))
    cache = MemoryCache()
    _pipeline(openai_settings(llm_routing_min_confidence=0.6), cache).extract(inv.data)
    assert fake.calls == 0
    # The same bytes under "always ask the model" must not be served the offline answer.
    result = _pipeline(openai_settings(llm_routing_min_confidence=1.0), cache).extract(inv.data)
    assert fake.calls == 1 and result.extractor == "openai"


def test_the_vendor_master_reaches_the_offline_extractor_and_the_cache_key(tmp_path) -> None:
    from tests.unit.extraction.docgen import text_pdf

    rows = [
        [(20, "Alpha Foods GmbH")],
        [(120, "Beta Logistik GmbH")],
        [(20, "Rechnungsnummer: 2024-55"), (120, "Datum: 01.02.2024")],
        [(20, "Gesamtbetrag"), (150, "119,00 €")],
    ]
    data = text_pdf([rows])
    cache = MemoryCache()
    pipeline = ExtractionPipeline(Settings(openai_api_key=None, data_dir=tmp_path), cache=cache)
    plain = pipeline.extract(data)
    known = pipeline.extract(data, known_vendors=["Beta Logistik GmbH"])
    assert known.vendor_name.value == "Beta Logistik GmbH"
    assert plain.vendor_name.value != known.vendor_name.value
    assert len(cache) == 2  # one entry per vendor master: the answers differ
