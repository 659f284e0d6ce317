"""Vendor exceptions from supabase_auth / storage3 / httpx become core.errors, never leak."""

from __future__ import annotations

import httpx
import pytest
from storage3.exceptions import StorageApiError
from supabase_auth.errors import (
    AuthApiError,
    AuthRetryableError,
    AuthUnknownError,
    AuthWeakPasswordError,
)

from core.auth.supabase_auth import translate_auth_error
from core.errors import (
    AuthError,
    ConfigurationError,
    ConfirmationRequired,
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    RateLimited,
    RefreshTokenReused,
    SessionRevoked,
    TokenExpired,
    TooLarge,
    UnsupportedType,
    UpstreamError,
    UpstreamTimeout,
    UserAlreadyExists,
    ValidationFailed,
    WeakPassword,
)
from core.storage.supabase_store import translate_storage_error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (AuthApiError("Invalid login credentials", 400, "invalid_credentials"), InvalidCredentials),
        (AuthApiError("Email not confirmed", 400, "email_not_confirmed"), ConfirmationRequired),
        (AuthApiError("User already registered", 422, "user_already_exists"), UserAlreadyExists),
        (AuthApiError("Already Used", 400, "refresh_token_already_used"), RefreshTokenReused),
        (AuthApiError("Not Found", 400, "refresh_token_not_found"), InvalidToken),
        (AuthApiError("Session not found", 403, "session_not_found"), SessionRevoked),
        (AuthApiError("bad jwt", 401, "bad_jwt"), InvalidToken),
        (AuthApiError("slow down", 429, "over_request_rate_limit"), RateLimited),
        (AuthApiError("Invalid API key", 401, None), ConfigurationError),
        (AuthApiError("boom", 500, None), UpstreamError),
        (AuthApiError("teapot", 418, None), AuthError),
        (AuthWeakPasswordError("too short", 422, ["length"]), WeakPassword),
        (AuthRetryableError("connection refused", 0), UpstreamError),
        (AuthUnknownError("???", ValueError("x")), UpstreamError),
        (httpx.ReadTimeout("slow"), UpstreamTimeout),
        (httpx.ConnectError("down"), UpstreamError),
        (RuntimeError("anything else"), UpstreamError),
    ],
)
def test_auth_errors_are_translated(error: Exception, expected: type[Exception]) -> None:
    translated = translate_auth_error(error)
    assert type(translated) is expected
    assert translated.message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (StorageApiError("Object not found", "not_found", "404"), NotFound),
        (
            StorageApiError("new row violates row-level security policy", "Unauthorized", "403"),
            Forbidden,
        ),
        (StorageApiError("jwt expired", "InvalidJWT", "400"), TokenExpired),
        (StorageApiError("invalid signature", "InvalidJWT", "400"), InvalidToken),
        (StorageApiError("The resource already exists", "Duplicate", "409"), Conflict),
        (StorageApiError("Payload too large", "EntityTooLarge", "413"), TooLarge),
        (StorageApiError("mime type not supported", "InvalidMimeType", "415"), UnsupportedType),
        (StorageApiError("Invalid key", "InvalidKey", "400"), ValidationFailed),
        (StorageApiError("slow down", "TooManyRequests", 429), RateLimited),
        (StorageApiError("internal", "InternalError", 500), UpstreamError),
        (httpx.ConnectTimeout("slow"), UpstreamTimeout),
        (httpx.ConnectError("down"), UpstreamError),
    ],
)
def test_storage_errors_are_translated(error: Exception, expected: type[Exception]) -> None:
    assert type(translate_storage_error(error)) is expected
