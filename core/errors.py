"""Domain errors with stable machine codes.

They know nothing of HTTP: the API maps classes to problem+json statuses in one table, the console
maps them to ``st.error`` / ``st.warning`` / ``st.info``. Adapters translate vendor exceptions at
the boundary with ``raise ... from exc``. ``code`` strings are part of the public contract.
"""

from __future__ import annotations

from typing import Any


class InvoiceFlowError(Exception):
    """Base class. ``code`` is stable; ``message`` is safe to show to a user."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def __str__(self) -> str:
        return self.message


class ValidationFailed(InvoiceFlowError):
    """Input is malformed; ``details['errors']`` may hold per-field or per-row errors."""

    code = "validation_failed"


class NotFound(InvoiceFlowError):
    """The object does not exist, or the user may not see it (never tell which)."""

    code = "not_found"


class AuthError(InvoiceFlowError):
    """Not signed in, bad credentials, expired or tampered token."""

    code = "unauthenticated"


class TokenExpired(AuthError):
    code = "token_expired"


class InvalidToken(AuthError):
    code = "invalid_token"


class InvalidCredentials(AuthError):
    code = "invalid_credentials"


class InvalidApiKey(InvalidToken):
    """The API key is unknown, revoked or expired."""

    code = "invalid_api_key"


class RefreshTokenReused(InvalidToken):
    """A rotated refresh token came back: the whole session is revoked (token theft defence)."""

    code = "refresh_token_reused"


class SessionRevoked(AuthError):
    """The session behind a token was signed out or revoked."""

    code = "session_revoked"


class ConfirmationRequired(AuthError):
    """Sign-up succeeded but the e-mail address must be confirmed before signing in."""

    code = "confirmation_required"


class WeakPassword(AuthError):
    """The password does not meet the minimum length or strength rules."""

    code = "weak_password"


class Forbidden(InvoiceFlowError):
    """Signed in, but the role does not allow this action."""

    code = "forbidden"


class FileOutsideClient(Forbidden):
    """A file row names an object outside its client's folder or bucket (refused, never read)."""

    code = "file_outside_client"


class Conflict(InvoiceFlowError):
    """State changed underneath the caller (stale version, illegal transition, already exists)."""

    code = "conflict"


class DuplicateFile(Conflict):
    code = "duplicate_file"


class UserAlreadyExists(Conflict):
    code = "user_already_exists"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class ApprovalBlocked(Conflict):
    """The client's approval policy blocks this approval; ``details['errors']`` lists the reasons
    (``code`` and ``message`` each). An allowed role may approve over them with a reason."""

    code = "approval_blocked"


class AutoApprovalRefused(Conflict):
    """The trust ladder refuses an auto-approval; ``details['errors']`` lists each failed
    condition (``code`` ``ladder.*`` and ``message``)."""

    code = "auto_approval_refused"


class VendorExists(Conflict):
    """The vendor master already holds a vendor like this one (``details['errors']``: the
    candidates the matcher found, each with ``vendor_id``, ``name`` and ``score``)."""

    code = "vendor_exists"


class TooLarge(InvoiceFlowError):
    """A file or request exceeds a configured limit."""

    code = "too_large"


class UnsupportedType(InvoiceFlowError):
    """The content is not a type the product accepts."""

    code = "unsupported_type"


class RateLimited(InvoiceFlowError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after


class DocumentError(InvoiceFlowError):
    """A document cannot be read: corrupt, encrypted, empty, too many pages, hostile."""

    code = "unreadable_document"


class EncryptedDocument(DocumentError):
    code = "encrypted_document"


class EmptyDocument(DocumentError):
    code = "empty_document"


class CorruptDocument(DocumentError):
    """The bytes claim a known type but cannot be parsed."""

    code = "corrupt_document"


class TooManyPages(DocumentError):
    """The document has more pages than ``Settings.max_pages`` allows."""

    code = "too_many_pages"


class ExtractionBudgetExceeded(DocumentError):
    """Reading the file would take more OCR pages, CPU, time or memory than one job may use."""

    code = "extraction_budget_exceeded"


class HostileDocument(DocumentError):
    """Decompression bombs, XML entity tricks and similar inputs built to exhaust resources."""

    code = "hostile_document"


class UpstreamError(InvoiceFlowError):
    """A service we depend on (OpenAI, Supabase) failed or answered nonsense."""

    code = "upstream_error"


class UpstreamTimeout(UpstreamError):
    code = "upstream_timeout"


class UpstreamRateLimited(UpstreamError):
    """The upstream kept answering 429 past the retry budget (or asked to wait too long)."""

    code = "upstream_rate_limited"


class LLMRefusal(UpstreamError):
    """The language model refused to answer (refusal message or content filter)."""

    code = "llm_refusal"


class LLMMalformedOutput(UpstreamError):
    """The language model's answer is not valid JSON for the schema, or was cut off."""

    code = "llm_malformed_output"


class ConfigurationError(InvoiceFlowError):
    code = "configuration_error"


class StorageUnavailable(InvoiceFlowError):
    """The file store cannot take bytes right now (unwritable, full, missing): retry later."""

    code = "storage_unavailable"


class IdempotencyKeyReused(ValidationFailed):
    """An ``Idempotency-Key`` came back with a different request than the one it first named."""

    code = "idempotency_key_reused"


class IdempotencyInFlight(Conflict):
    """The request first sent with this ``Idempotency-Key`` is still running."""

    code = "idempotency_in_flight"


class UnsafeTarget(ValidationFailed):
    """An outbound target (a webhook URL) is a private, loopback or special address."""

    code = "unsafe_target"
