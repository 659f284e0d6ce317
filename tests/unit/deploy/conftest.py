"""Fixtures for the deployment artefact tests: repo paths and loaders for the `.ci` scripts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


def load_script(relative: str) -> ModuleType:
    """Import a script that lives outside the packages (``.ci/*.py``, ``docker/*.py``)."""
    path = REPO_ROOT / relative
    name = "deploy_" + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def compose_check() -> ModuleType:
    return load_script(".ci/compose_check.py")


@pytest.fixture(scope="session")
def audit() -> ModuleType:
    return load_script(".ci/audit.py")


@pytest.fixture(scope="session")
def healthcheck() -> ModuleType:
    return load_script("docker/healthcheck.py")
