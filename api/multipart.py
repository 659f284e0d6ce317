"""Multipart parsing for uploads that survives long file names.

python-multipart refuses any part header line over 4,224 bytes, and Starlette turns that into a
400 for the whole request: one file with a 5,000-character name lost every file of the upload.
Uploads parse with a 64 KiB header line limit instead (still a bound: the request body and the
number of files have their own limits), and the workflow then reduces each name to a safe one
(``core.storage.keys.safe_display_name``), per file.

``UploadRoute`` is the route class of the upload router: it hands the endpoint an
``UploadRequest``, whose ``form()`` uses this parser; everything else is FastAPI's own handling
(validation, ``UploadFile`` parameters, OpenAPI).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Any

import python_multipart
from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser

MAX_PART_HEADER_BYTES = 64 * 1024


class LongHeaderMultiPartParser(MultiPartParser):
    """Starlette's multipart parser with a larger limit for one part header line.

    ``parse`` is Starlette's own (1.x) except for the ``max_header_size`` it passes on; the
    callbacks that build the ``FormData`` are inherited unchanged.
    """

    async def parse(self) -> FormData:
        _, params = parse_options_header(self.headers["Content-Type"])
        charset = params.get(b"charset", "utf-8")
        self._charset = charset.decode("latin-1") if isinstance(charset, bytes) else charset
        boundary = params.get(b"boundary")
        if not boundary:
            raise MultiPartException("Missing boundary in multipart.")
        callbacks: Any = {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }
        try:
            parser = python_multipart.MultipartParser(
                boundary, callbacks, max_header_size=MAX_PART_HEADER_BYTES
            )
            async for chunk in self.stream:
                parser.write(chunk)
                # File writes are awaited here, not in the (sync) callbacks, so disk I/O runs in
                # the thread pool and never blocks the event loop.
                for part, data in self._file_parts_to_write:
                    assert part.file is not None
                    await part.file.write(data)
                for part in self._file_parts_to_finish:
                    assert part.file is not None
                    await part.file.seek(0)
                self._file_parts_to_write.clear()
                self._file_parts_to_finish.clear()
            parser.finalize()
        except BaseException as exc:
            for file in self._files_to_close_on_error:
                file.close()
            if isinstance(exc, FormParserError):
                raise MultiPartException("Invalid multipart data.") from exc
            raise
        return FormData(self.items)


class UploadRequest(Request):
    """A request whose multipart form is parsed by ``LongHeaderMultiPartParser``."""

    def form(  # type: ignore[override]
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> Coroutine[Any, Any, FormData]:
        return self._long_header_form(max_files, max_fields, max_part_size)

    async def _long_header_form(
        self, max_files: int | float, max_fields: int | float, max_part_size: int
    ) -> FormData:
        content_type, _ = parse_options_header(self.headers.get("Content-Type"))
        if self._form is not None or content_type != b"multipart/form-data":
            return await super().form(
                max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
            )
        try:
            async with aclosing(self.stream()) as stream:
                parser = LongHeaderMultiPartParser(
                    self.headers,
                    stream,
                    max_files=max_files,
                    max_fields=max_fields,
                    max_part_size=max_part_size,
                )
                self._form = await parser.parse()
        except MultiPartException as exc:
            raise HTTPException(status_code=400, detail=exc.message) from exc
        return self._form


class UploadRoute(APIRoute):
    """Route class for upload endpoints: the endpoint sees an ``UploadRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def upload_handler(request: Request) -> Response:
            return await handler(UploadRequest(request.scope, request.receive))

        return upload_handler
