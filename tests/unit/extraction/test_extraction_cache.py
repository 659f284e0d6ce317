"""Extraction caches: memory (LRU) and disk (atomic JSON files)."""

from __future__ import annotations

from decimal import Decimal

from core.extraction.cache import CacheKey, DiskCache, ExtractionCache, MemoryCache
from core.extraction.schema import ExtractedField, Extraction

KEY = CacheKey("a" * 64, "pipeline=1;mode=openai", "gpt-4o-mini")


def _result(total: str = "119.00") -> Extraction:
    return Extraction(total=ExtractedField(value=Decimal(total), confidence=0.9), extractor="x")


def test_keys_differ_by_version_and_model() -> None:
    assert KEY.digest != CacheKey(KEY.sha256, "pipeline=1;mode=offline", None).digest
    assert KEY.digest != CacheKey(KEY.sha256, KEY.extractor_version, "gpt-4.1").digest
    assert KEY.digest.startswith(KEY.sha256)
    assert len(KEY.digest) <= 300


def test_memory_cache_round_trips_and_returns_independent_copies() -> None:
    cache = MemoryCache()
    assert isinstance(cache, ExtractionCache)
    assert cache.get(KEY) is None
    cache.put(KEY, _result())
    first = cache.get(KEY)
    assert first is not None and first.total.value == Decimal("119.00")
    first.warnings.append("mutated")
    assert cache.get(KEY).warnings == []  # type: ignore[union-attr]


def test_memory_cache_evicts_least_recently_used() -> None:
    cache = MemoryCache(max_entries=2)
    keys = [CacheKey(str(i) * 64, "v", None) for i in range(3)]
    cache.put(keys[0], _result())
    cache.put(keys[1], _result())
    cache.get(keys[0])
    cache.put(keys[2], _result())
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) is not None and len(cache) == 2


def test_disk_cache_survives_a_new_instance(tmp_path) -> None:
    DiskCache(tmp_path).put(KEY, _result("42.00"))
    again = DiskCache(tmp_path).get(KEY)
    assert again is not None and again.total.value == Decimal("42.00")
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_damaged_disk_entry_is_a_miss(tmp_path) -> None:
    cache = DiskCache(tmp_path)
    cache.put(KEY, _result())
    next(tmp_path.rglob("*.json")).write_text("{not json", encoding="utf-8")
    assert cache.get(KEY) is None
    cache.put(KEY, _result("1.00"))
    assert cache.get(KEY).total.value == Decimal("1.00")  # type: ignore[union-attr]
