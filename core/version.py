"""The product's one version string, for the API, ``/health`` and the OpenAPI document.

From the installed distribution's metadata (``pip install .``); when the code runs from a
checkout or the image (which copies ``pyproject.toml`` but installs only the requirements), from
``pyproject.toml`` beside the packages, the same single source.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "invoiceflow"
UNKNOWN = "0.0.0+unknown"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@cache
def version() -> str:
    """The version of the product (``UNKNOWN`` when neither source can be read)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return pyproject_version(PYPROJECT)


def pyproject_version(path: Path) -> str:
    """``[project] version`` of a pyproject.toml, or ``UNKNOWN``."""
    try:
        import tomllib  # the standard library from Python 3.11 (the product's runtime)

        return str(tomllib.loads(path.read_text(encoding="utf-8"))["project"]["version"])
    except (ImportError, OSError, KeyError, TypeError, ValueError):  # TOMLDecodeError: ValueError
        return UNKNOWN
