"""Serves the local store's signed URLs (same path shape as Supabase Storage's)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import ServicesDep
from api.downloads import download_headers
from api.errors import problem_responses
from core.errors import ValidationFailed
from core.storage.keys import display_name as key_display_name

router = APIRouter(tags=["files"])


def display_name(key: str) -> str:
    """The file name part of an object key (``file`` when the key is not one of ours)."""
    try:
        return key_display_name(key)
    except ValidationFailed:
        return "file"


@router.get(
    "/storage/v1/object/sign/{bucket}/{key:path}",
    response_class=Response,
    responses=problem_responses(401, 404),
)
def signed_download(bucket: str, key: str, request: Request, services: ServicesDep) -> Response:
    """Download a file through a signed URL; the signature is the permission, until it expires."""
    url = request.url.path + ("?" + request.url.query if request.url.query else "")
    # The Supabase store answers NotFound: its URLs point at Supabase Storage, not here.
    data, content_type = services.storage.read_signed(url)
    # Always an attachment in a sandbox, whatever the file is (see api.downloads).
    return Response(data, media_type=content_type, headers=download_headers(display_name(key)))
