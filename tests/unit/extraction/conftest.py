"""Fixtures of the extraction unit tests: the optional benchmark folder and its truth."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

# The benchmark data is not part of the project (a fresh clone has none): the tests that need the
# real ZUGFeRD corpus read it from the folder INVOICEFLOW_BENCHMARKS names, and skip with the reason
# when it is not set.
BENCHMARKS = Path(os.environ.get("INVOICEFLOW_BENCHMARKS", "/nonexistent-benchmarks"))
ZUGFERD = BENCHMARKS / "extraction-dev" / "zugferd"


@pytest.fixture(scope="session")
def zugferd_dir() -> Path:
    if not (ZUGFERD / "truth.jsonl").is_file():
        pytest.skip(
            f"the ZUGFeRD benchmark corpus is not in this checkout ({ZUGFERD}); set"
            " INVOICEFLOW_BENCHMARKS to a benchmarks folder to run these tests"
        )
    return ZUGFERD


@pytest.fixture(scope="session")
def zugferd_truth(zugferd_dir: Path) -> list[dict[str, Any]]:
    with (zugferd_dir / "truth.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
