"""Serves the local store's signed URLs (same path shape as Supabase Storage's)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import ServicesDep
from api.errors import problem_responses
from core.errors import NotFound

router = APIRouter(tags=["files"])


@router.get(
    "/storage/v1/object/sign/{bucket}/{key:path}",
    response_class=Response,
    responses=problem_responses(401, 404),
)
def signed_download(bucket: str, key: str, request: Request, services: ServicesDep) -> Response:
    """Download a file through a signed URL; the signature is the permission, until it expires."""
    read_signed = getattr(services.storage, "read_signed", None)
    if read_signed is None:  # the Supabase store hands out Supabase's own URLs
        raise NotFound("signed URLs are served by the storage service")
    url = request.url.path + ("?" + request.url.query if request.url.query else "")
    data, content_type = read_signed(url)
    return Response(
        data,
        media_type=content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
