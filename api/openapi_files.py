"""File fields in /openapi.json as generated clients understand them.

FastAPI describes an uploaded file (OpenAPI 3.1) as ``{"type": "string", "contentMediaType":
"application/octet-stream"}``; client generators (openapi-python-client among them) only send a
field as a file when it also says ``"format": "binary"``, so this adds it (valid in 3.1, where
``format`` is an annotation)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def _mark(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("contentMediaType") == (
            "application/octet-stream"
        ):
            node.setdefault("format", "binary")
        for value in node.values():
            _mark(value)
    elif isinstance(node, list):
        for value in node:
            _mark(value)


def install(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so file fields carry ``format: binary``."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        schema = original()
        _mark(schema.get("components", {}).get("schemas", {}))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
