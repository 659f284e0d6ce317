"""The one place that turns core errors into what an operator sees.

Pages never show a traceback: expected business errors (``core.errors``) become ``st.info`` /
``st.warning`` / ``st.error`` with the error's message and stable code; anything unexpected is
logged with a short reference id and shown as a generic message carrying that id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import streamlit as st

from core import errors

logger = logging.getLogger("console")

Level = Literal["info", "warning", "error"]

# Most specific classes first: the first isinstance match wins.
LEVELS: tuple[tuple[type[errors.InvoiceFlowError], Level], ...] = (
    (errors.DuplicateFile, "info"),
    (errors.TokenExpired, "info"),
    (errors.ConfirmationRequired, "info"),
    (errors.WeakPassword, "warning"),
    (errors.InvalidCredentials, "warning"),
    (errors.InvalidTransition, "warning"),
    (errors.ValidationFailed, "warning"),
    (errors.NotFound, "warning"),
    (errors.Conflict, "warning"),
    (errors.TooLarge, "warning"),
    (errors.UnsupportedType, "warning"),
    (errors.RateLimited, "warning"),
    (errors.DocumentError, "warning"),
    (errors.AuthError, "error"),
    (errors.Forbidden, "error"),
    (errors.UpstreamError, "error"),
    (errors.ConfigurationError, "error"),
    (errors.InvoiceFlowError, "error"),
)

_ICONS: dict[Level, str] = {
    "info": ":material/info:",
    "warning": ":material/warning:",
    "error": ":material/error:",
}


def level_for(exc: errors.InvoiceFlowError) -> Level:
    """The Streamlit alert level for a domain error."""
    for cls, level in LEVELS:
        if isinstance(exc, cls):
            return level
    return "error"


def describe(exc: errors.InvoiceFlowError) -> str:
    """The user-facing text of a domain error: its message, row errors and code."""
    text = f"{exc.message} (`{exc.code}`)"
    row_errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if isinstance(row_errors, list) and row_errors:
        shown = "\n".join(
            f"- {item['message']}"
            if isinstance(item, dict) and item.get("message")
            else f"- {item}"
            for item in row_errors[:20]
        )
        more = f"\n- … and {len(row_errors) - 20} more" if len(row_errors) > 20 else ""
        text += "\n\n" + shown + more
    if isinstance(exc, errors.RateLimited):
        wait = exc.retry_after
        text += (
            f" Try again in {wait / 60:.0f} min." if wait >= 120 else f" Try again in {wait:.0f} s."
        )
    return text


def show_error(exc: BaseException, *, action: str = "") -> str:
    """Render ``exc`` as an alert; return its level (``error`` for unexpected errors)."""
    if isinstance(exc, errors.InvoiceFlowError):
        level = level_for(exc)
        getattr(st, level)(describe(exc), icon=_ICONS[level])
        return level
    ref = uuid.uuid4().hex[:8]
    logger.error("unexpected console error ref=%s action=%s", ref, action or "-", exc_info=exc)
    st.error(
        f"Something went wrong{f' while {action}' if action else ''}. "
        f"The team can find the details under reference `{ref}`.",
        icon=_ICONS["error"],
    )
    return "error"


@contextmanager
def guarded(action: str = "") -> Iterator[None]:
    """Run a block; show any error it raises instead of a traceback.

    Streamlit's own control flow (``st.rerun``, ``st.stop``) derives from ``BaseException`` and
    passes through untouched.
    """
    try:
        yield
    except Exception as exc:
        show_error(exc, action=action)


def flash(message: str, level: Level | Literal["success"] = "success") -> None:
    """Queue a message to show after the next rerun (e.g. after a form submit)."""
    st.session_state.setdefault("_flash", []).append((level, message))


def show_flashes() -> None:
    """Show and clear queued messages."""
    for level, message in st.session_state.pop("_flash", []):
        getattr(st, level)(message)
