"""Object keys: ``<client_id>/<yyyy>/<mm>/<dd>/<uuid>-<sanitized name>`` in the ``invoices`` bucket.

The first folder is the tenant: the storage policies read it with ``storage.foldername(name)``.
User-supplied file names are reduced to a short, plain-ASCII name before they become part of a
key, so no path separator, dot segment, control or bidi character, or over-long name ever reaches
a filesystem path or a Storage URL; keys coming back from callers are re-validated the same way.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime, timezone
from pathlib import PurePosixPath
from urllib.parse import quote

from core.errors import ValidationFailed

BUCKET = "invoices"
MAX_NAME_LENGTH = 100
FALLBACK_NAME = "file"
MAX_DISPLAY_LENGTH = 255
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_REPEATS = re.compile(r"[._-]{2,}")
_KEY = re.compile(
    r"^(?P<client>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/"
    r"(?P<yyyy>\d{4})/(?P<mm>\d{2})/(?P<dd>\d{2})/"
    r"(?P<uuid>[0-9a-f]{32})-(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,"
    + str(MAX_NAME_LENGTH - 1)
    + r"})$"
)


def sanitize_filename(name: str | None) -> str:
    """Reduce a user-supplied file name to ``[A-Za-z0-9._-]``, at most 100 chars, never empty."""
    raw = str(name or "")
    # Only the last path component counts, whichever separator the uploader's OS used.
    raw = re.split(r"[/\\]", raw)[-1]
    # Compatibility forms first (full-width letters, ligatures), then drop accents.
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")  # controls, bidi, NUL
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _UNSAFE.sub("_", text.strip())
    # A run like "_." or "-_-" becomes one char, keeping a dot so the extension survives.
    text = _REPEATS.sub(lambda m: "." if "." in m.group() else m.group()[0], text)
    text = text.strip("._-")
    if not text:
        return FALLBACK_NAME
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            text = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip("._-") + "." + ext
        else:
            text = text[:MAX_NAME_LENGTH].rstrip("._-")
    return text or FALLBACK_NAME


def safe_display_name(name: str | None, *, fallback: str = "upload") -> str:
    """A user-supplied file name made safe to store, show and send back in a download.

    Unlike ``sanitize_filename`` (keys: plain ASCII) it keeps letters of any script, but only the
    last path component survives (``../../etc/passwd`` -> ``passwd``), control and format
    characters (NUL, newlines, bidi overrides, zero-width) are dropped, characters Windows
    refuses become ``_``, leading dots go, and it is at most 255 characters with the extension
    kept. Never empty: ``fallback`` instead.
    """
    raw = re.split(r"[/\\]", unicodedata.normalize("NFC", str(name or "")))[-1]
    kept = []
    for c in raw:
        kind = unicodedata.category(c)
        if kind[0] == "C" or kind in ("Zl", "Zp"):  # controls, bidi/zero-width, line breaks
            continue
        kept.append(" " if kind == "Zs" else c)
    text = "".join(kept)
    text = " ".join(_WINDOWS_RESERVED.sub("_", text).split()).lstrip(".").strip()
    if len(text) > MAX_DISPLAY_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            text = stem[: MAX_DISPLAY_LENGTH - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            text = text[:MAX_DISPLAY_LENGTH].rstrip(". ")
    return text or fallback


def content_disposition(name: str | None, *, disposition: str = "attachment") -> str:
    """A ``Content-Disposition`` value for a download named ``name`` (RFC 6266).

    The name is made safe first (``safe_display_name``); ``filename`` carries a plain-ASCII
    fallback for old clients and ``filename*`` the UTF-8 name, percent-encoded (RFC 8187).
    """
    safe = safe_display_name(name, fallback=FALLBACK_NAME)
    return (
        f'{disposition}; filename="{sanitize_filename(safe)}"; '
        f"filename*=UTF-8''{quote(safe, safe='')}"
    )


def make_key(
    client_id: uuid.UUID | str, filename: str | None, *, now: datetime | None = None
) -> str:
    """A fresh key for ``filename`` under ``client_id`` dated ``now`` (UTC)."""
    client = _client_uuid(client_id)
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    key = (
        f"{client}/{moment:%Y}/{moment:%m}/{moment:%d}/"
        f"{uuid.uuid4().hex}-{sanitize_filename(filename)}"
    )
    return validate_key(key)


def validate_key(key: str) -> str:
    """Return ``key`` if it has exactly the shape ``make_key`` produces, else refuse it."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValidationFailed("not a valid file key")
    return key


def client_of(key: str) -> uuid.UUID:
    """The tenant a key belongs to (its first folder)."""
    return uuid.UUID(validate_key(key).split("/", 1)[0])


def display_name(key: str) -> str:
    """The sanitized file name part of a key, without the uniquifying prefix."""
    return PurePosixPath(validate_key(key)).name.split("-", 1)[1]


def _client_uuid(client_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(str(client_id))
    except ValueError as exc:
        raise ValidationFailed("client id is not a UUID") from exc
