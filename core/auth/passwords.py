"""Password rules every auth backend shares (the API and the console check them first)."""

from __future__ import annotations

from core.errors import ValidationFailed

# Supabase Auth refuses longer passwords (supabase/auth internal/api/password.go,
# MaxPasswordLength = 72, counted in bytes): bcrypt reads no more than 72 bytes.
MAX_PASSWORD_BYTES = 72


def check_password_length(password: str) -> None:
    """Refuse a password longer than Auth (and bcrypt) can take, before any request."""
    if len((password or "").encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValidationFailed(
            f"the password is longer than {MAX_PASSWORD_BYTES} bytes; choose a shorter one",
            errors=[{"loc": ["password"], "message": f"at most {MAX_PASSWORD_BYTES} bytes"}],
        )
