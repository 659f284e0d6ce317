"""Which extractor a pipeline request uses, and what its cache key depends on."""

from __future__ import annotations

import pytest

from core.config import Settings
from core.errors import ConfigurationError
from core.extraction.pipeline import ExtractionPipeline

SHA = "c" * 64


def _settings(**kw) -> Settings:
    base = {"openai_base_url": "http://127.0.0.1:9/v1"}
    return Settings(**{**base, **kw})


@pytest.mark.parametrize(
    ("key", "backend", "asked", "expected"),
    [
        (None, "auto", "auto", "offline"),
        (None, "offline", "auto", "offline"),
        (None, "auto", "offline", "offline"),
        ("sk-x", "auto", "auto", "openai"),
        ("sk-x", "auto", "offline", "offline"),
        ("sk-x", "offline", "auto", "offline"),
        ("sk-x", "offline", "openai", "openai"),
        ("sk-x", "openai", "auto", "openai"),
        ("sk-x", "openai", "offline", "offline"),
    ],
)
def test_mode_resolution(key, backend, asked, expected) -> None:
    pipeline = ExtractionPipeline(_settings(openai_api_key=key, extraction_backend=backend))
    assert pipeline.resolve_mode(asked) == expected


def test_asking_for_openai_without_a_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        ExtractionPipeline(_settings(openai_api_key=None)).resolve_mode("openai")


def test_cache_key_follows_everything_that_shapes_the_result() -> None:
    def key(mode="openai", einvoice=True, **kw):
        settings = _settings(openai_api_key="sk-x", **kw)
        return ExtractionPipeline(settings).cache_key(SHA, mode, einvoice)

    base = key()
    assert base.sha256 == SHA and base.model == "gpt-4o-mini"
    assert "openai=" in base.extractor_version and "einvoice=" in base.extractor_version
    variants = [
        key(openai_model="gpt-4.1"),
        key(openai_vision=False),
        key(ocr_enabled=False),
        key(einvoice=False),
        key(mode="offline"),
    ]
    digests = {base.digest} | {v.digest for v in variants}
    assert len(digests) == 1 + len(variants)
    assert key(mode="offline").model is None
    assert key().digest == base.digest  # and it is stable
