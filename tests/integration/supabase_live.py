"""Settings for the live Supabase variants (``@pytest.mark.live``), from ``SUPABASE_TEST_*``.

``SUPABASE_TEST_URL``, ``SUPABASE_TEST_ANON_KEY``, ``SUPABASE_TEST_EMAIL``,
``SUPABASE_TEST_PASSWORD`` and ``SUPABASE_TEST_JWT_SECRET`` or ``SUPABASE_TEST_JWKS_URL``.
Without them the live tests skip.
"""

from __future__ import annotations

import os

import pytest

from core.config import Settings

MAX_BYTES = 256 * 1024


def live_settings_or_skip() -> Settings:
    """Settings for the real project named by the environment, or skip the test."""
    url, anon = os.environ.get("SUPABASE_TEST_URL"), os.environ.get("SUPABASE_TEST_ANON_KEY")
    secret = os.environ.get("SUPABASE_TEST_JWT_SECRET")
    jwks = os.environ.get("SUPABASE_TEST_JWKS_URL")
    if not (url and anon and os.environ.get("SUPABASE_TEST_EMAIL") and (secret or jwks)):
        pytest.skip(
            "live Supabase test: set SUPABASE_TEST_URL, SUPABASE_TEST_ANON_KEY, "
            "SUPABASE_TEST_EMAIL, SUPABASE_TEST_PASSWORD and SUPABASE_TEST_JWT_SECRET or "
            "SUPABASE_TEST_JWKS_URL"
        )
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        auth_backend="supabase",
        storage_backend="supabase",
        supabase_url=url,
        supabase_anon_key=anon,
        jwt_secret=secret or "",  # none: tokens are verified with the JWKS only
        jwks_url=jwks,
        max_upload_bytes=MAX_BYTES,
    )
