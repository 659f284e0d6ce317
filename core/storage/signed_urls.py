"""Local signed URLs: expiring, HMAC-signed tokens in the same URL shape Supabase Storage uses.

``/storage/v1/object/sign/<bucket>/<key>?token=<jwt>``: the token is an HS256 JWT whose ``url``
claim names the object, as Supabase's are. It is signed with a key derived from the project secret
for this purpose only, so it can never pass as an access token (and vice versa).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jwt

from core.errors import InvalidToken, TokenExpired
from core.storage.keys import validate_key

PATH_PREFIX = "/storage/v1/object/sign/"
_PURPOSE = b"invoiceflow/storage/signed-url/v1"


def derive_signing_key(project_secret: str) -> bytes:
    """The signing key for storage URLs, derived from (never equal to) the project secret."""
    return hmac.new(project_secret.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def sign_url(signing_key: bytes, bucket: str, key: str, content_type: str, ttl_seconds: int) -> str:
    """A relative signed URL for ``bucket``/``key`` valid for ``ttl_seconds``."""
    if ttl_seconds <= 0:
        raise ValueError("signed URLs need a positive lifetime")
    validate_key(key)
    now = int(time.time())
    claims = {"url": f"{bucket}/{key}", "ct": content_type, "iat": now, "exp": now + ttl_seconds}
    token = jwt.encode(claims, signing_key, algorithm="HS256")
    return f"{PATH_PREFIX}{quote(bucket)}/{quote(key)}?token={token}"


def verify_signed_url(signing_key: bytes, url: str) -> tuple[str, str, str]:
    """Check a signed URL (or bare token); return ``(bucket, key, content_type)``."""
    parts = urlsplit(url or "")
    if parts.query or parts.path.startswith(PATH_PREFIX):
        token = (parse_qs(parts.query).get("token") or [""])[0]
        path_object = unquote(parts.path[len(PATH_PREFIX) :]) if parts.path else ""
    else:
        token, path_object = url, ""
    try:
        claims = jwt.decode(
            token, signing_key, algorithms=["HS256"], options={"require": ["exp", "url"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired("this download link has expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("this download link is not valid") from exc
    signed_object = str(claims["url"])
    if path_object and path_object != signed_object:
        raise InvalidToken("this download link was altered")
    bucket, _, key = signed_object.partition("/")
    return bucket, validate_key(key), str(claims.get("ct") or "application/octet-stream")
