"""Decompression limits for containers we open: zip archives (XLSX) and deflate streams (PDF).

A small file can inflate to gigabytes (issue 11, F3 and F4). Zip members are judged from the
central directory before anything is inflated: ``zipfile`` never returns more bytes than a
member declares (it stops there and then fails the CRC), so the declared sizes bound what any
reader of the archive can inflate. Deflate streams are inflated in bounded steps and abandoned
as soon as they pass the cap, so a bomb costs at most the cap in memory.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from core.errors import HostileDocument, ValidationFailed

# Everything a 100,000-row reference table needs (about 40 MB of sheet XML), with room to spare.
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_MEMBER_BYTES = 100 * 1024 * 1024
ZIP_MAX_TOTAL_BYTES = 200 * 1024 * 1024
# Apache POI's default: a member that inflates more than 100-fold is a bomb, not a spreadsheet.
# Tiny members (empty styles, one-cell sheets) compress better than that and are let through.
ZIP_MAX_RATIO = 100
ZIP_RATIO_GRACE_BYTES = 1024 * 1024
INFLATE_STEP = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    """Caps on a zip archive's directory: member count, sizes and inflation ratio."""

    max_members: int = ZIP_MAX_MEMBERS
    max_member_bytes: int = ZIP_MAX_MEMBER_BYTES
    max_total_bytes: int = ZIP_MAX_TOTAL_BYTES
    max_ratio: int = ZIP_MAX_RATIO


def check_zip(data: bytes, limits: ZipLimits | None = None) -> None:
    """Refuse ``data`` unless it is a zip whose members are all within ``limits``.

    Only the central directory is read; nothing is inflated.

    ``ValidationFailed`` when it is not a zip at all, ``HostileDocument`` for a bomb.
    """
    limits = limits or ZipLimits()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ValidationFailed("the file is not a readable zip archive (.xlsx)") from exc
    if len(members) > limits.max_members:
        raise HostileDocument(
            f"the archive has {len(members)} members; the limit is {limits.max_members}"
        )
    total = 0
    for info in members:
        size, packed = info.file_size, max(info.compress_size, 1)
        total += size
        if size > limits.max_member_bytes:
            raise HostileDocument(
                f"{info.filename} inflates to {size} bytes; the limit is {limits.max_member_bytes}",
                member=info.filename,
            )
        if size > ZIP_RATIO_GRACE_BYTES and size / packed > limits.max_ratio:
            raise HostileDocument(
                f"{info.filename} inflates {size // packed}-fold; the limit is "
                f"{limits.max_ratio}-fold (a decompression bomb)",
                member=info.filename,
            )
    if total > limits.max_total_bytes:
        raise HostileDocument(
            f"the archive inflates to {total} bytes; the limit is {limits.max_total_bytes}"
        )


def inflate_bounded(data: bytes, limit: int, *, what: str = "the stream") -> bytes:
    """zlib-inflate ``data`` but never past ``limit`` bytes (``HostileDocument`` beyond)."""
    inflater = zlib.decompressobj()
    out = bytearray()
    pending = data
    try:
        while pending or not inflater.eof:
            chunk = inflater.decompress(pending, INFLATE_STEP)
            pending = inflater.unconsumed_tail
            out += chunk
            if len(out) > limit:
                raise HostileDocument(
                    f"{what} inflates to more than {limit} bytes (a decompression bomb)",
                    limit=limit,
                )
            if not chunk and not pending:
                break
        out += inflater.flush()
    except zlib.error as exc:
        raise ValidationFailed(f"{what} is not valid deflate data") from exc
    if len(out) > limit:
        raise HostileDocument(f"{what} inflates to more than {limit} bytes", limit=limit)
    return bytes(out)
