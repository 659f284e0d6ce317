"""Stable, readable OpenAPI operationIds: ``<tag>_<route name>``, e.g. ``invoices_list``.

FastAPI's default (``list_invoices_api_v1_invoices_get``) changes with the path and makes
generated clients ugly. The route function's name is the verb; a trailing repetition of the tag
is dropped (``list_invoices`` under ``invoices`` -> ``invoices_list``), and a name that is only
the tag gives the tag (``health``). Uniqueness is checked by a test over the whole document.
"""

from __future__ import annotations

from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    """The operationId of ``route``."""
    tag = str(route.tags[0]) if route.tags else "api"
    tag = tag.lower().replace("-", "_").replace(" ", "_")
    singular = tag[:-1] if tag.endswith("s") else tag
    name = route.name
    for suffix in (f"_{tag}", f"_{singular}"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return tag if name in (tag, singular) else f"{tag}_{name}"
