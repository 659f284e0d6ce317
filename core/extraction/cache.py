"""Extraction cache: the same file with the same extractor version and model is read once.

``ExtractionCache`` is the port. ``MemoryCache`` (bounded LRU) serves tests and one process;
``DiskCache`` (``settings.data_dir/cache``, one JSON file per key, atomic writes) serves the CLI
across runs; ``DbExtractionCache`` stores entries per client in ``public.extraction_cache``
under RLS for the workers (SQL in ``core.db.extraction_cache_repo``). A damaged entry is a miss,
never an error: the cache may only save work, not cause failures.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from uuid import UUID

from pydantic import ValidationError

from core.extraction.schema import Extraction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheKey:
    """File SHA-256 + the version of whatever would read it + the model (None offline)."""

    sha256: str
    extractor_version: str
    model: str | None = None

    @property
    def digest(self) -> str:
        """A short, filesystem- and column-safe key (``extraction_cache.cache_key``)."""
        tail = hashlib.sha256(f"{self.extractor_version}|{self.model or '-'}".encode()).hexdigest()
        return f"{self.sha256}-{tail[:24]}"


@runtime_checkable
class ExtractionCache(Protocol):
    """Where finished extractions are kept, by ``CacheKey``."""

    def get(self, key: CacheKey) -> Extraction | None:
        """The cached extraction, or None on a miss (or an unreadable entry)."""
        ...

    def put(self, key: CacheKey, extraction: Extraction) -> None:
        """Store ``extraction`` under ``key`` (last write wins)."""
        ...


class MemoryCache:
    """In-process LRU cache, thread-safe."""

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> Extraction | None:
        with self._lock:
            raw = self._items.get(key.digest)
            if raw is None:
                return None
            self._items.move_to_end(key.digest)
        return Extraction.model_validate_json(raw)

    def put(self, key: CacheKey, extraction: Extraction) -> None:
        raw = extraction.model_dump_json()  # stored serialized: callers cannot mutate entries
        with self._lock:
            self._items[key.digest] = raw
            self._items.move_to_end(key.digest)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class DiskCache:
    """One JSON file per key under ``root`` (``settings.data_dir / "cache"`` for the CLI)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: CacheKey) -> Path:
        return self.root / key.sha256[:2] / f"{key.digest}.json"

    def get(self, key: CacheKey) -> Extraction | None:
        path = self._path(key)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("extraction cache unreadable: %s", exc)
            return None
        try:
            return Extraction.model_validate_json(raw)
        except ValidationError:
            log.warning("extraction cache entry damaged, ignoring: %s", path.name)
            return None

    def put(self, key: CacheKey, extraction: Extraction) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees half a file, even across processes.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(extraction.model_dump_json())
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("extraction cache not written: %s", exc)


class DbExtractionCache:
    """Per-client cache rows in ``public.extraction_cache``; each call is its own unit of work.

    ``open_session`` returns a context manager yielding a ``Session``: a ``user_session`` (RLS,
    owner/operator may write) or a named ``service_session`` for workers.
    """

    def __init__(
        self, open_session: Callable[[], AbstractContextManager[Session]], client_id: UUID
    ) -> None:
        self.open_session, self.client_id = open_session, client_id

    def get(self, key: CacheKey) -> Extraction | None:
        from core.db.extraction_cache_repo import get_cached_result

        with self.open_session() as s:
            raw = get_cached_result(s, client_id=self.client_id, cache_key=key.digest)
        if raw is None:
            return None
        try:
            return Extraction.model_validate(raw)
        except ValidationError:
            log.warning("extraction cache row damaged, ignoring: %s", key.digest)
            return None

    def put(self, key: CacheKey, extraction: Extraction) -> None:
        from core.db.extraction_cache_repo import put_cached_result

        with self.open_session() as s:
            put_cached_result(
                s,
                client_id=self.client_id,
                cache_key=key.digest,
                sha256=key.sha256,
                extractor_version=key.extractor_version,
                model=key.model,
                result=extraction.model_dump(mode="json"),
            )
