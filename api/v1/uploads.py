"""Multipart uploads of invoice files (many per request)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentUserDep, ServicesDep
from api.errors import problem_responses
from api.multipart import UploadRoute
from api.v1.schemas import UploadedFilePublic, UploadPublic
from core.errors import TooLarge
from core.workflow import uploads

# UploadRoute: a long file name is cleaned per file, not a 400 for the whole request.
router = APIRouter(tags=["uploads"], route_class=UploadRoute)
CHUNK = 1024 * 1024


async def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """Read one part, refusing it as soon as it exceeds ``max_bytes`` (no unbounded buffering)."""
    parts: list[bytes] = []
    size = 0
    while chunk := await file.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"{file.filename or 'a file'} is larger than {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


@router.post(
    "/clients/{client_id}/uploads",
    response_model=UploadPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 413, 415, 422, 503),
)
async def upload_invoices(
    client_id: uuid.UUID,
    user: CurrentUserDep,
    services: ServicesDep,
    files: Annotated[list[UploadFile], File(description="PDF, PNG, JPEG, TIFF or e-invoice XML")],
    batch_name: Annotated[str | None, Form(max_length=200)] = None,
) -> UploadPublic:
    """Upload one or many invoice files; each is stored once and queued for extraction."""
    settings = services.settings
    if len(files) > settings.max_files_per_upload:
        raise TooLarge(f"at most {settings.max_files_per_upload} files per upload")
    received: list[uploads.UploadFile] = []
    for f in files:
        name = f.filename or "upload"
        try:
            received.append(
                uploads.UploadFile(name, await read_upload(f, settings.max_upload_bytes))
            )
        except TooLarge as exc:  # reported for this file; the rest of the batch goes on
            received.append(uploads.UploadFile(name, b"", rejected=exc))
    result = await run_in_threadpool(
        lambda: uploads.upload_files(
            services=services,
            user=user,
            client_id=client_id,
            files=received,
            batch_name=batch_name,
        )
    )
    return UploadPublic(
        batch_id=result.batch_id,
        accepted=result.accepted,
        files=[UploadedFilePublic.model_validate(f, from_attributes=True) for f in result.files],
    )
