"""Fixtures of the extraction unit tests: the shared benchmark folder and its truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# CI (and every checkout) has the read-only benchmark data beside the repository.
BENCHMARKS = Path(__file__).resolve().parents[3].parent / "shared" / "benchmarks"
ZUGFERD = BENCHMARKS / "extraction-dev" / "zugferd"


@pytest.fixture(scope="session")
def zugferd_dir() -> Path:
    if not (ZUGFERD / "truth.jsonl").is_file():
        pytest.skip(f"benchmark data not found at {ZUGFERD} (expected ../shared/benchmarks)")
    return ZUGFERD


@pytest.fixture(scope="session")
def zugferd_truth(zugferd_dir: Path) -> list[dict[str, Any]]:
    with (zugferd_dir / "truth.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
