"""The OpenAI SDK is imported in exactly one module: core/extraction/openai_extractor.py."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ALLOWED = {Path("core/extraction/openai_extractor.py")}


def _imports_openai(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "openai" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "openai":
            return True
    return False


def test_only_the_openai_extractor_imports_the_sdk() -> None:
    found = {
        path.relative_to(ROOT)
        for package in ("core", "api", "console")
        for path in (ROOT / package).rglob("*.py")
        if _imports_openai(path)
    }
    assert found == ALLOWED
