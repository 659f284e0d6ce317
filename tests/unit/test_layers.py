"""One-way layers, checked on the source itself (AST scan of every module).

``core`` never imports streamlit or fastapi (nor api/console); ``api`` and ``console`` never
import each other. Complements ruff TID251 and import-linter: this also catches imports inside
functions, ``importlib.import_module("...")`` with a literal name, and relative imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "core": {"streamlit", "fastapi", "starlette", "api", "console"},
    "api": {"console", "streamlit"},
    "console": {"api", "fastapi"},
}


def imported_modules(path: Path, package: str) -> Iterator[tuple[int, str]]:
    """(line, top-level module) for every import in the file, however it is written."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolves inside the same top-level package
                yield node.lineno, package
            elif node.module:
                yield node.lineno, node.module.split(".")[0]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in {"__import__"})
            )
        ):
            yield node.lineno, node.args[0].value.split(".")[0]


def modules_of(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_downwards(package: str) -> None:
    files = modules_of(package)
    assert files, f"no modules found under {package}/"
    violations = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path, package)
        if module in FORBIDDEN[package]
    ]
    assert violations == []


def test_the_scanner_sees_every_way_of_importing(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import streamlit as st\n"
        "from fastapi import FastAPI\n"
        "def later():\n"
        "    import api.main\n"
        "    importlib.import_module('console.state')\n"
        "    __import__('starlette')\n"
        "from . import sibling\n",
        encoding="utf-8",
    )
    found = sorted(module for _, module in imported_modules(sample, "core"))
    assert found == sorted(["streamlit", "fastapi", "api", "console", "starlette", "core"])
